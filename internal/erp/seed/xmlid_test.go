package seed

import (
	"errors"
	"testing"
)

func TestExternalIDNames(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{AccessName(Right{Model: "mail.message", Group: "base.group_system"}), "access_mail_message_base_group_system"},
		{AccessName(Right{Model: "res.currency"}), "access_res_currency_all"},
		{AccessName(Right{Model: "account.move.line", Group: "sales_team.group_sale_salesman_all_leads"}), "access_account_move_line_sales_team_group_sale_salesman_all_leads"},
		{RuleName(Rule{Name: "sale order: salesperson's own"}), "rule_sale_order_salesperson_s_own"},
		{RuleName(Rule{Name: "  Move: only drafts change  "}), "rule_move_only_drafts_change"},
		{RuleName(Rule{Name: "--"}), "rule_"},
		{RuleName(Rule{Name: "é 2 ü"}), "rule_2"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestStepErrorNamesModuleAndStep(t *testing.T) {
	cause := errors.New("boom")
	err := error(&StepError{Module: "sale", Step: 4, Name: "record rules", Err: cause})
	if got, want := err.Error(), "module sale, seed step 4 (record rules): boom"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Fatal("the cause is not unwrapped")
	}
}

func TestPending(t *testing.T) {
	step := Step{Name: "x"}
	mods := []Module{{Name: "a", Steps: []Step{step, step}}, {Name: "b", Steps: []Step{step}}}
	for _, c := range []struct {
		levels map[string]int
		want   int
	}{
		{map[string]int{}, 3},
		{map[string]int{"a": 1}, 2},
		{map[string]int{"a": 2, "b": 1}, 0},
		// A tenant ahead of this build (opened by an older one after a newer) has nothing to run.
		{map[string]int{"a": 5, "b": 1}, 0},
	} {
		if got := Pending(mods, c.levels); got != c.want {
			t.Errorf("Pending(%v) = %d, want %d", c.levels, got, c.want)
		}
	}
}
