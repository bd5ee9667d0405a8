package sale_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// An order line created with only a product and a quantity, as an integrator's
// client does through the API, is priced and described from the product, with
// its sales taxes, as in Odoo; a line that says otherwise keeps what it says.
func TestOrderLineTakesItsProductsDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newShop(t, e)
		err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
			order, err := erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": s.customer, "order_line": []any{
				[]any{0, 0, map[string]any{"product_id": s.desk, "product_uom_qty": 2.0}},
				[]any{0, 0, map[string]any{"product_id": s.chair, "product_uom_qty": 1.0, "name": "Chair, blue", "price_unit": "40.00", "tax_id": []any{}}},
			}})
			if err != nil {
				return err
			}
			o := read(t, ctx, env, sale.Order, order, "order_line", "amount_total")
			lines, err := env.ReadValues(ctx, sale.OrderLine, account.IDs(o["order_line"]), []string{"name", "price_unit", "tax_id", "product_uom"})
			if err != nil {
				return err
			}
			got := ""
			for _, l := range lines {
				got += fmt.Sprintf("%s|%s|%v|%v; ", account.Str(l["name"]), dec(t, l["price_unit"]), account.IDs(l["tax_id"]), account.M2O(l["product_uom"]) != 0)
			}
			want := fmt.Sprintf("[DESK] Office Desk|100.00|[%d]|false; Chair, blue|40.00|[]|false; ", s.tax15)
			if got != want {
				t.Errorf("lines:\n got %s\nwant %s", got, want)
			}
			// 2 × 100 + 15%, and 40 untaxed.
			if total := dec(t, o["amount_total"]); total != "270.00" {
				t.Errorf("total %s, want 270.00", total)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
