// Package orm maps the ERP's models to SQL tables and is the only way records are
// reached: every search, read, write, create and unlink runs through an Env, which
// applies model access rights (ir.model.access), record rules (ir.rule) and
// field-level groups inside the SQL it issues.
//
// Models are declared as values and registered into a Registry built once at start
// by the installed modules; the frozen registry is immutable and shared by all
// requests. Identifiers in generated SQL come only from the registry; every value,
// whatever its origin, is a bind parameter.
package orm
