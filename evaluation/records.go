package evaluation

import (
	"regexp"

	"github.com/shopspring/decimal"

	"cloudbill/metering"
)

// Dimension is what a provider is scored on (docs/rules.md §6).
type Dimension string

const (
	DimensionResponse     Dimension = "response"     // 服务响应
	DimensionQuality      Dimension = "quality"      // 服务质量
	DimensionSatisfaction Dimension = "satisfaction" // 服务满意度
	DimensionSecurity     Dimension = "security"     // 安全管理
)

// Evaluator is a group of evaluators; a dimension's score is the mean
// over the groups present.
type Evaluator string

const (
	EvaluatorDepartment Evaluator = "department"
	EvaluatorThirdParty Evaluator = "third_party"
	EvaluatorPublic     Evaluator = "public"
)

// Dimensions lists the dimensions in report order.
var Dimensions = []Dimension{DimensionResponse, DimensionQuality, DimensionSatisfaction, DimensionSecurity}

var evaluators = map[Evaluator]bool{EvaluatorDepartment: true, EvaluatorThirdParty: true, EvaluatorPublic: true}

// Score is one evaluator group's score of a provider in one dimension and quarter.
type Score struct {
	ProviderCode string          `db:"provider_code"`
	Period       string          `db:"period"` // 2024Q3
	Dimension    Dimension       `db:"dimension"`
	Evaluator    Evaluator       `db:"evaluator"`
	Score        decimal.Decimal `db:"score"`
}

// ScoreColumns are the columns of scores.csv.
var ScoreColumns = []string{"provider_code", "period", "dimension", "evaluator", "score"}

var periodRE = regexp.MustCompile(`^(19|20)\d\dQ[1-4]$`)

// ParseScore reads one scores.csv row.
func ParseScore(r *metering.Row) (Score, []metering.Problem) {
	f := metering.Fields{Row: r}
	s := Score{
		ProviderCode: f.Text("provider_code", true),
		Period:       f.Text("period", true),
		Dimension:    Dimension(f.Text("dimension", true)),
		Evaluator:    Evaluator(f.Text("evaluator", true)),
		Score:        f.Decimal("score", &metering.Zero, &metering.Hundred),
	}
	if s.Period != "" && !periodRE.MatchString(s.Period) {
		f.Fail("period", "%q is not a quarter like 2024Q3", s.Period)
	}
	switch s.Dimension {
	case "", DimensionResponse, DimensionQuality, DimensionSatisfaction, DimensionSecurity:
	default:
		f.Fail("dimension", "unknown dimension %q", s.Dimension)
	}
	if s.Evaluator != "" && !evaluators[s.Evaluator] {
		f.Fail("evaluator", "unknown evaluator group %q", s.Evaluator)
	}
	return s, f.Problems
}

// DayKind marks a calendar exception: a holiday off, or a 调休 weekend day on.
type DayKind string

const (
	DayHoliday DayKind = "holiday"
	DayWorkday DayKind = "workday"
)

// CalendarDay is one row of calendar.csv.
type CalendarDay struct {
	Day  metering.Date `db:"day"`
	Kind DayKind       `db:"kind"`
	Name string        `db:"name"`
}

// CalendarColumns are the columns of calendar.csv.
var CalendarColumns = []string{"date", "kind", "name"}

// ParseCalendarDay reads one calendar.csv row.
func ParseCalendarDay(r *metering.Row) (CalendarDay, []metering.Problem) {
	f := metering.Fields{Row: r}
	c := CalendarDay{Day: f.Date("date"), Kind: DayKind(f.Text("kind", true)), Name: f.Text("name", false)}
	if c.Kind != "" && c.Kind != DayHoliday && c.Kind != DayWorkday {
		f.Fail("kind", "kind %q is not holiday or workday", c.Kind)
	}
	return c, f.Problems
}
