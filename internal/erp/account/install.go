package account

import (
	"context"
	"fmt"
	"slices"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Groups returns the invoicing groups.
func Groups() []seed.Group {
	return []seed.Group{
		{XMLID: GroupBilling, Name: "Billing", Category: "Invoicing", Implies: []string{"base.group_user"}},
		{XMLID: GroupManager, Name: "Administrator", Category: "Invoicing", Implies: []string{GroupBilling}},
	}
}

// Module is what the invoicing module seeds, step by step (see seed.Step).
func Module() seed.Module {
	return seed.Module{Name: "account", Steps: []seed.Step{
		// Administrators of a new tenant become invoicing administrators; on a
		// tenant that has the groups, membership stays as its administrators set it.
		{Name: "groups", Run: func(ctx context.Context, env *orm.Env) error {
			created, err := seed.Groups(ctx, env, Groups())
			if err != nil || !slices.Contains(created, GroupManager) {
				return err
			}
			return seed.AddUsersOf(ctx, env, "base.group_system", GroupManager)
		}},
		{Name: "payment terms and charts of accounts", Run: seedTermsAndCharts},
		{Name: "access rights", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rights(ctx, env, "account", rights())
		}},
		{Name: "record rules", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rules(ctx, env, "account", rules())
		}},
	}}
}

// seedTermsAndCharts gives a tenant without payment terms the default ones, and
// every company without accounts a chart (InstallChart). What a tenant has stays
// as it is.
func seedTermsAndCharts(ctx context.Context, env *orm.Env) error {
	n, err := env.SearchCount(ctx, Term, seed.Dom(), orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := env.Create(ctx, Term, []map[string]any{
			{"name": "Immediate Payment", "days": 0}, {"name": "15 Days", "days": 15}, {"name": "30 Days", "days": 30},
		}); err != nil {
			return fmt.Errorf("seed payment terms: %w", err)
		}
	}
	companies, err := env.Search(ctx, "res.company", seed.Dom(), orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	for _, c := range companies {
		n, err := env.SearchCount(ctx, Account, seed.Dom("company_id", "=", c), orm.SearchOptions{IncludeArchived: true})
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if err := InstallChart(ctx, env, c); err != nil {
			return err
		}
	}
	return nil
}

func rights() []seed.Right {
	out := []seed.Right{
		{Model: Move, Group: GroupBilling, Perms: "rwcu"},
		{Model: Move, Group: "base.group_portal", Perms: "r"},
		{Model: MoveLine, Group: GroupBilling, Perms: "rwcu"},
		{Model: MoveLine, Group: "base.group_portal", Perms: "r"},
		{Model: MoveLog, Group: "base.group_user", Perms: "r"},
		{Model: Payment, Group: GroupBilling, Perms: "rwcu"},
		{Model: Partial, Group: GroupBilling, Perms: "rwcu"},
		{Model: FullRec, Group: GroupBilling, Perms: "rwcu"},
		{Model: Account, Group: GroupBilling, Perms: "r"},
		{Model: Journal, Group: GroupBilling, Perms: "r"},
	}
	for _, m := range []string{Account, Journal, Tax, Term, Rate} {
		out = append(out, seed.Right{Model: m, Group: GroupManager, Perms: "rwcu"})
	}
	for _, m := range []string{Tax, Term, Rate} {
		out = append(out, seed.Right{Model: m, Group: "base.group_user", Perms: "r"})
	}
	return out
}

// customerDocument is the portal's view: posted customer invoices and credit
// notes whose commercial entity is the portal user's own.
const customerDocument = "[('move_type', 'in', ['out_invoice', 'out_refund']), ('state', '=', 'posted'), " +
	"('commercial_partner_id.commercial_member_ids', 'in', [user.partner_id])]"

func rules() []seed.Rule {
	return []seed.Rule{
		{Name: "move: multi-company", Model: Move, Domain: seed.MultiCompany},
		{Name: "move line: multi-company", Model: MoveLine, Domain: seed.MultiCompany},
		{Name: "payment: multi-company", Model: Payment, Domain: seed.MultiCompany},
		{Name: "account: multi-company", Model: Account, Domain: seed.MultiCompany},
		{Name: "journal: multi-company", Model: Journal, Domain: seed.MultiCompany},
		{Name: "tax: multi-company", Model: Tax, Domain: seed.MultiCompany},
		{Name: "payment term: multi-company", Model: Term, Domain: seed.MultiCompany},
		{Name: "currency rate: multi-company", Model: Rate, Domain: seed.MultiCompany},
		{Name: "partial reconcile: multi-company", Model: Partial, Domain: seed.MultiCompany},
		{Name: "move history: multi-company", Model: MoveLog, Domain: "['|', ('move_id.company_id', '=', False), ('move_id.company_id', 'in', company_ids)]"},
		// Posted and cancelled entries cannot change, and numbered ones never disappear.
		// (A move being created has no state yet while its lines are inserted.)
		{Name: "move: only drafts change", Model: Move, Domain: "[('state', 'in', ['draft', False])]", Perms: "w"},
		{Name: "move: only unnumbered drafts are deleted", Model: Move, Domain: "[('state', 'in', ['draft', False]), ('name', 'in', ['/', False])]", Perms: "u"},
		{Name: "move line: only in drafts", Model: MoveLine, Domain: "[('move_id.state', 'in', ['draft', False])]", Perms: "wcu"},
		{Name: "move: billing sees all", Model: Move, Domain: "[(1, '=', 1)]", Groups: []string{GroupBilling}},
		{Name: "move line: billing sees all", Model: MoveLine, Domain: "[(1, '=', 1)]", Groups: []string{GroupBilling}},
		{Name: "move: portal sees own invoices", Model: Move, Domain: customerDocument, Groups: []string{"base.group_portal"}},
		{Name: "move line: portal sees own invoices", Model: MoveLine, Groups: []string{"base.group_portal"},
			Domain: "[('move_id.move_type', 'in', ['out_invoice', 'out_refund']), ('move_id.state', '=', 'posted'), " +
				"('move_id.commercial_partner_id.commercial_member_ids', 'in', [user.partner_id])]"},
	}
}

// InstallChart gives a company a small chart of accounts, its sales, bank, cash,
// miscellaneous and exchange journals, and a 15% sales tax. env must be Sudo.
func InstallChart(ctx context.Context, env *orm.Env, company int64) error {
	accounts := []struct {
		code, name, kind string
		reconcile        bool
	}{
		{"101401", "Bank", "asset_cash", false},
		{"101501", "Cash", "asset_cash", false},
		{"121000", "Account Receivable", "asset_receivable", true},
		{"211000", "Account Payable", "liability_payable", true},
		{"251000", "Tax Received", "liability_current", false},
		{"400000", "Product Sales", "income", false},
		{"441000", "Foreign Exchange Gain", "income_other", false},
		{"600000", "Expenses", "expense", false},
		{"641000", "Foreign Exchange Loss", "expense", false},
	}
	ids := map[string]int64{}
	for _, a := range accounts {
		created, err := env.Create(ctx, Account, []map[string]any{{"code": a.code, "name": a.name, "account_type": a.kind, "reconcile": a.reconcile, "company_id": company}})
		if err != nil {
			return fmt.Errorf("chart of accounts: %w", err)
		}
		ids[a.code] = created[0]
	}
	if _, err := env.Create(ctx, Journal, []map[string]any{
		{"name": "Customer Invoices", "code": "INV", "type": "sale", "default_account_id": ids["400000"], "company_id": company, "sequence": 5},
		{"name": "Bank", "code": "BNK1", "type": "bank", "default_account_id": ids["101401"], "company_id": company, "sequence": 10},
		{"name": "Cash", "code": "CSH1", "type": "cash", "default_account_id": ids["101501"], "company_id": company, "sequence": 11},
		{"name": "Miscellaneous Operations", "code": "MISC", "type": "general", "company_id": company, "sequence": 20},
		{"name": "Exchange Difference", "code": "EXCH", "type": "general", "company_id": company, "sequence": 30},
	}); err != nil {
		return fmt.Errorf("journals: %w", err)
	}
	if _, err := env.Create(ctx, Tax, []map[string]any{
		{"name": "15%", "description": "VAT 15%", "amount_type": "percent", "amount": 15.0, "type_tax_use": "sale", "account_id": ids["251000"], "company_id": company},
		{"name": "0%", "description": "Exempt", "amount_type": "percent", "amount": 0.0, "type_tax_use": "sale", "account_id": ids["251000"], "company_id": company, "sequence": 2},
	}); err != nil {
		return fmt.Errorf("taxes: %w", err)
	}
	return nil
}
