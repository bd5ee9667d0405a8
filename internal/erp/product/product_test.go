package product_test

import (
	"context"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestTemplateKeepsOneVariant(t *testing.T) {
	tn := erptest.Install(t, storetest.Engines()[0])
	company := tn.MainCompany()
	if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		units, err := product.UnitID(ctx, env, "Units")
		if err != nil {
			return err
		}
		tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": "Desk", "default_code": "D1", "list_price": "12.50",
			"uom_id": units, "company_id": company})
		if err != nil {
			return err
		}
		variant, err := product.VariantOf(ctx, env, tmpl)
		if err != nil {
			return err
		}
		v, err := env.Read(ctx, "product.product", []int64{variant}, []string{"name", "default_code", "list_price", "uom_id", "active"})
		if err != nil {
			return err
		}
		if v[0]["name"] != "Desk" || v[0]["default_code"] != "D1" || v[0]["active"] != true {
			t.Errorf("variant: %v", v[0])
		}
		if err := env.Write(ctx, "product.template", []int64{tmpl}, map[string]any{"active": false}); err != nil {
			return err
		}
		n, err := env.SearchCount(ctx, "product.product", seed.Dom("product_tmpl_id", "=", tmpl), orm.SearchOptions{})
		if err != nil || n != 0 {
			t.Errorf("archived template leaves %d active variants (%v)", n, err)
		}
		all, err := env.SearchCount(ctx, "product.product", seed.Dom("product_tmpl_id", "=", tmpl), orm.SearchOptions{IncludeArchived: true})
		if err != nil || all != 1 {
			t.Errorf("%d variants in all (%v)", all, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogueRefusals(t *testing.T) {
	tn := erptest.Install(t, storetest.Engines()[0])
	company := tn.MainCompany()
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		_, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": "A", "default_code": "SAME", "company_id": company})
		return err
	})
	for name, vals := range map[string]map[string]any{
		"duplicate reference":       {"name": "B", "default_code": "SAME", "company_id": company},
		"negative price":            {"name": "C", "list_price": "-1"},
		"price finer than the cent": {"name": "D", "list_price": "0.001"},
		"unknown type":              {"name": "E", "type": "product"},
		"no name":                   {"list_price": "1"},
	} {
		err := tn.Try(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			_, err := env.Create(ctx, "product.template", []map[string]any{vals})
			return err
		})
		var ve *orm.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: want a validation error, got %v", name, err)
		}
	}
	err := tn.Try(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		_, err := env.Create(ctx, "uom.uom", []map[string]any{{"name": "Zero", "category": "unit", "factor": 0.0}})
		return err
	})
	var ve *orm.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("a zero unit ratio: %v", err)
	}
}
