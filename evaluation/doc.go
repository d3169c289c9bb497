// Package evaluation judges the provider and the use of resources: the
// working-day calendar, SLA obligations derived from lifecycle events
// (Art. 13–16), evaluation scores turned into the settlement coefficient
// (Art. 26), and resource-use findings such as idle resources and zombie
// systems (Art. 27). All thresholds come from one Policy.
//
// # Policy file
//
// ParsePolicy reads UTF-8 text, one "key = value" a line; "#" starts a
// comment, blank lines are ignored, a key left out keeps its default, and an
// unknown, repeated or malformed key is a *PolicyError naming file, line and
// key. Policy.String prints every key in canonical order (itself a valid
// file). The keys, with the defaults of docs/policy.md:
//
//	weight.response      0.25   weight of the response dimension in a quarter's score
//	weight.quality       0.35   weight of quality
//	weight.satisfaction  0.20   weight of satisfaction
//	weight.security      0.20   weight of security; the four add up to 1
//	tiers                95:1.00 90:0.98 85:0.95 80:0.90 70:0.85
//	                            min_score:coefficient, highest first; annual ≥ min_score
//	tier.below           0.80   coefficient below the lowest tier
//	response.fallback    sla    quarter without response scores: 100 × SLA on-time share
//	                            (sla) or an error (none)
//	response.none_due    100    response score of a quarter with no obligation due
//	sla.provision        2      working days approved → provisioned (Art. 13)
//	sla.change           2      working days change_approved → changed (Art. 15)
//	sla.exit             2      working days exit_approved → released (Art. 16)
//	sla.go_live          30     working days confirmed → live (Art. 14, the department's)
//	idle.cpu_avg_below   5      compute idle: cpu_avg_pct below this,
//	idle.cpu_max_below   10     cpu_max_pct below this,
//	idle.net_bytes_below 10485760  and net in+out below this (network kinds: this alone)
//	idle.disk_used_below 5      storage idle: disk_used_pct below this
//	idle.min_days        30     idle runs reported from this length
//	zombie.min_days      90     zombie systems reported from this length
//	reclaim.min_days     90     idle runs this long (and zombies): reclaim; shorter: rectify
//	rectify.working_days 10     working days to rectify a shorter idle run
//	objection.working_days 10   working days after issue to object to a bill
//
// # Exactness
//
// Scores are averaged and weighted as exact fractions (math/big.Rat) and
// compared with the tiers unrounded; money in findings is summed with
// billing.Sum and rounded once to 0.01 元.
package evaluation
