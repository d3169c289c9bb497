// Package metering holds the inventory of the government cloud (districts,
// departments, providers, information systems, resources), the lifecycle
// events of each resource, the nightly usage and activity records, and the
// readers for the CSV / JSON Lines files they arrive in. It is the bottom of
// the domain: it imports only the standard library and decimal.
package metering
