// Package base declares the models every tenant database holds (companies,
// partners, users, groups, the model catalogue, access rights and rules,
// configuration parameters, sequences, currencies and countries), seeds a new
// tenant with its groups, default access rights and record rules, and builds the
// orm.Env of a signed-in user.
package base
