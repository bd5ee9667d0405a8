package domain

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	allowed := []string{"user.id", "company_ids", "company_id"}
	tests := []struct {
		name       string
		src        string
		allowed    []string
		wantErr    string
		wantOffset int
	}{
		{"multi-company rule", `['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]`, allowed, "", 0},
		{"own records", `[('user_id', '=', user.id)]`, allowed, "", 0},
		{"name of unknown shape under child_of", `[('partner_id', 'child_of', [user.id])]`, allowed, "", 0},
		{"name under like", `[('name', 'like', user.id)]`, allowed, "", 0},
		{"literal shape still checked", `[('name', 'like', 5)]`, allowed, "needs a string", 18},
		{"no names needed", `[('active', '=', True)]`, nil, "", 0},
		{"unknown name lists the allowed ones", `[('user_id', '=', user.partner_id.id)]`, allowed,
			`unknown name "user.partner_id.id"; allowed names are company_id, company_ids, user.id`, 18},
		{"prefix of an allowed name is not allowed", `[('user_id', '=', user)]`, allowed, `unknown name "user"`, 18},
		{"no names allowed", `[('user_id', '=', user.id)]`, nil, "this domain may not use names", 18},
		{"arity checked", `['|', ('company_id', '=', False)]`, allowed, "needs 2 operands", 1},
		{"syntax checked", `[('company_id', '=', company_id())]`, allowed, "calls are not allowed", 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.src, tt.allowed, DefaultLimits())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %s", tt.src)
			}
			de := asDomainError(t, err)
			if !strings.Contains(de.Message, tt.wantErr) || de.Offset != tt.wantOffset {
				t.Errorf("error %v, want %q at offset %d", err, tt.wantErr, tt.wantOffset)
			}
		})
	}
}

func TestValidateAppliesLimits(t *testing.T) {
	lim := Limits{MaxSourceLen: 10}
	err := Validate(`[('a', '=', 1)]`, nil, lim)
	if err == nil || !strings.Contains(err.Error(), "the limit is 10") {
		t.Fatalf("error %v, want the source limit", err)
	}
}
