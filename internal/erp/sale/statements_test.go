package sale_test

import (
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// orderToCashBudget is the most SQL statements one order of 10 lines may cost
// from creation to payment. It sits just above what the code sends today: a
// change that makes the flow chattier fails here, whatever the machine's speed.
// (The lines give no description or unit: taking them from the product costs
// four reads a line, 40 of the flow's 830.)
const orderToCashBudget = 850

func TestOrderToCashStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn, products, customers, tax := benchShop(t, e)
		n, err := orderToCash(tn, customers[0], orderLines(products, tax, 10))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("order to cash: %d statements", n)
		if n > orderToCashBudget {
			t.Errorf("order to cash sent %d statements, over the budget of %d", n, orderToCashBudget)
		}
	})
}
