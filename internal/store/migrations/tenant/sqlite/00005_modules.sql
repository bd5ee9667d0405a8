-- +goose Up
-- Named as Odoo names them. ir_module_module holds one row per installed module;
-- latest_version is the number of the module's last seed step applied (steps are
-- numbered from 1 and run in order, each once per tenant). create_date is when the
-- module was installed, write_date when its last step ran.
CREATE TABLE ir_module_module (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    create_date    TIMESTAMP NOT NULL,
    write_date     TIMESTAMP NOT NULL
);

-- External ids of seeded records (module.name → model, res_id). A seed finds its
-- record here, so it neither duplicates nor overwrites what a tenant already has,
-- however an administrator renamed or edited it.
CREATE TABLE ir_model_data (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    module      TEXT NOT NULL,
    name        TEXT NOT NULL,
    model       TEXT NOT NULL,
    res_id      BIGINT NOT NULL,
    create_date TIMESTAMP NOT NULL,
    UNIQUE (module, name)
);
CREATE INDEX ir_model_data_model_res_id ON ir_model_data (model, res_id);

-- +goose Down
DROP TABLE ir_model_data;
DROP TABLE ir_module_module;
