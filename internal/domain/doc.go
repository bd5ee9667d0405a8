// Package domain parses, validates and normalises Odoo-style search domains.
//
// A domain is a list in prefix (Polish) notation of the logical operators
// '&' and '|' (two operands) and '!' (one operand) and of leaves
// (field_path, operator, value); terms not joined by an operator are AND-ed.
// Domains arrive in two forms: as decoded values from the external APIs
// (FromValue) and as text stored in access rules (Parse, Validate). Both give
// the same normalised tree, a Domain, which the ORM compiles to SQL. This
// package never touches SQL: it only guarantees that field paths are plain
// identifiers, operators come from a closed set, values are plain data of the
// right shape, and every input stays within Limits.
//
// Every refusal is an *Error: Offset locates it in text, Term in a decoded
// list, and Message is fit to show to the person who wrote the domain.
package domain
