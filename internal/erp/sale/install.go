package sale

import (
	"context"
	"slices"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Sales groups, as Odoo names them.
const (
	GroupSalesman    = "sales_team.group_sale_salesman"
	GroupSalesmanAll = "sales_team.group_sale_salesman_all_leads"
	GroupManager     = "sales_team.group_sale_manager"
)

// Module is what the sales module seeds, step by step (see seed.Step).
func Module() seed.Module {
	return seed.Module{Name: "sale", Steps: []seed.Step{
		// Administrators of a new tenant become sales administrators; on a tenant
		// that has the groups, membership stays as its administrators set it.
		{Name: "groups", Run: func(ctx context.Context, env *orm.Env) error {
			created, err := seed.Groups(ctx, env, []seed.Group{
				{XMLID: GroupSalesman, Name: "User: Own Documents Only", Category: "Sales", Implies: []string{"base.group_user"}},
				{XMLID: GroupSalesmanAll, Name: "User: All Documents", Category: "Sales", Implies: []string{GroupSalesman}},
				{XMLID: GroupManager, Name: "Administrator", Category: "Sales", Implies: []string{GroupSalesmanAll}},
			})
			if err != nil || !slices.Contains(created, GroupManager) {
				return err
			}
			return seed.AddUsersOf(ctx, env, "base.group_system", GroupManager)
		}},
		{Name: "order numbering", Run: seedSequence},
		{Name: "access rights", Run: seedRights},
		{Name: "record rules", Run: seedRules},
	}}
}

// seedSequence adds the S00001 numbering unless the tenant has a sale.order
// sequence (however its administrator changed it).
func seedSequence(ctx context.Context, env *orm.Env) error {
	n, err := env.SearchCount(ctx, "ir.sequence", seed.Dom("code", "=", Order), orm.SearchOptions{IncludeArchived: true})
	if err != nil || n > 0 {
		return err
	}
	_, err = env.Create(ctx, "ir.sequence", []map[string]any{{"name": "Sales Order", "code": Order, "prefix": "S", "padding": 5}})
	return err
}

// portalOrders is what a portal user sees: sent quotations and orders of their
// own commercial entity.
const portalOrders = "[('state', 'in', ['sent', 'sale', 'cancel']), ('partner_id.commercial_partner_id.commercial_member_ids', 'in', [user.partner_id])]"

func seedRights(ctx context.Context, env *orm.Env) error {
	return seed.Rights(ctx, env, "sale", []seed.Right{
		{Model: Order, Group: GroupSalesman, Perms: "rwcu"},
		{Model: Order, Group: account.GroupBilling, Perms: "r"},
		{Model: Order, Group: "base.group_portal", Perms: "r"},
		{Model: OrderLine, Group: GroupSalesman, Perms: "rwcu"},
		{Model: OrderLine, Group: account.GroupBilling, Perms: "r"},
		{Model: OrderLine, Group: "base.group_portal", Perms: "r"},
		{Model: OrderLog, Group: "base.group_user", Perms: "r"},
		{Model: account.Move, Group: GroupSalesman, Perms: "rwc"},
		{Model: account.MoveLine, Group: GroupSalesman, Perms: "rwcu"},
	})
}

func seedRules(ctx context.Context, env *orm.Env) error {
	return seed.Rules(ctx, env, "sale", []seed.Rule{
		{Name: "sale order: multi-company", Model: Order, Domain: seed.MultiCompany},
		{Name: "sale order line: multi-company", Model: OrderLine, Domain: seed.MultiCompany},
		{Name: "sale order history: multi-company", Model: OrderLog, Domain: "['|', ('order_id.company_id', '=', False), ('order_id.company_id', 'in', company_ids)]"},
		{Name: "sale order: salesperson's own", Model: Order, Groups: []string{GroupSalesman},
			Domain: "['|', ('user_id', '=', user.id), ('user_id', '=', False)]"},
		{Name: "sale order: all", Model: Order, Groups: []string{GroupSalesmanAll, account.GroupBilling}, Domain: "[(1, '=', 1)]"},
		{Name: "sale order: portal", Model: Order, Groups: []string{"base.group_portal"}, Domain: portalOrders},
		{Name: "sale order line: salesperson's own", Model: OrderLine, Groups: []string{GroupSalesman},
			Domain: "['|', ('order_id.user_id', '=', user.id), ('order_id.user_id', '=', False)]"},
		{Name: "sale order line: all", Model: OrderLine, Groups: []string{GroupSalesmanAll, account.GroupBilling}, Domain: "[(1, '=', 1)]"},
		{Name: "sale order line: portal", Model: OrderLine, Groups: []string{"base.group_portal"},
			Domain: "[('order_id.state', 'in', ['sent', 'sale', 'cancel']), ('order_id.partner_id.commercial_partner_id.commercial_member_ids', 'in', [user.partner_id])]"},
		{Name: "sale order history: salesperson's own", Model: OrderLog, Groups: []string{GroupSalesman},
			Domain: "['|', ('order_id.user_id', '=', user.id), ('order_id.user_id', '=', False)]"},
		{Name: "sale order history: all", Model: OrderLog, Groups: []string{GroupSalesmanAll, account.GroupBilling}, Domain: "[(1, '=', 1)]"},
		{Name: "invoices: salesperson's own", Model: account.Move, Groups: []string{GroupSalesman},
			Domain: "[('move_type', 'in', ['out_invoice', 'out_refund']), '|', ('invoice_user_id', '=', user.id), ('invoice_user_id', '=', False)]"},
		{Name: "invoices: all salespeople", Model: account.Move, Groups: []string{GroupSalesmanAll},
			Domain: "[('move_type', 'in', ['out_invoice', 'out_refund'])]"},
		{Name: "invoice lines: salesperson's own", Model: account.MoveLine, Groups: []string{GroupSalesman},
			Domain: "[('move_id.move_type', 'in', ['out_invoice', 'out_refund']), '|', ('move_id.invoice_user_id', '=', user.id), ('move_id.invoice_user_id', '=', False)]"},
		{Name: "invoice lines: all salespeople", Model: account.MoveLine, Groups: []string{GroupSalesmanAll},
			Domain: "[('move_id.move_type', 'in', ['out_invoice', 'out_refund'])]"},
	})
}
