-- +goose Up
-- Named as Odoo names it (ir.config_parameter); holds database.uuid and database.secret.
CREATE TABLE ir_config_parameter (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,
    value       TEXT NOT NULL,
    create_uid  INTEGER,
    create_date TIMESTAMP,
    write_uid   INTEGER,
    write_date  TIMESTAMP
);

-- +goose Down
DROP TABLE ir_config_parameter;
