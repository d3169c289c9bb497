// Package evaluation judges the provider and the use of resources: the
// working-day calendar, SLA obligations derived from lifecycle events
// (Art. 13–16), evaluation scores turned into the settlement coefficient
// (Art. 26), and resource-use findings such as idle resources and zombie
// systems (Art. 27). All thresholds come from one Policy.
package evaluation
