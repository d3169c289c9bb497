package evaluation

import (
	"strings"
	"testing"

	"cloudbill/metering"
)

// covRow returns the one data row (line 2) of the CSV file name with
// header and line.
func covRow(t testing.TB, name, header, line string) *metering.Row {
	t.Helper()
	tb, err := metering.NewTable(name, strings.NewReader(header+"\n"+line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tb.Next()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// covProblems renders problems as "column: reason" lines.
func covProblems(t testing.TB, ps []metering.Problem) string {
	t.Helper()
	var out []string
	for _, p := range ps {
		out = append(out, p.Column+": "+p.Reason)
	}
	return strings.Join(out, "\n")
}

const covScoreHeader = "provider_code,period,dimension,evaluator,score"

func TestCovParseScore(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		problems   string
	}{
		{"good", "P1,2024Q3,quality,department,88.5", ""},
		{"every dimension: response", "P1,2024Q1,response,public,0", ""},
		{"every dimension: satisfaction", "P1,2024Q2,satisfaction,third_party,100", ""},
		{"every dimension: security", "P1,2024Q4,security,department,99.99", ""},
		{"1900s period", "P1,1999Q4,security,department,90", ""},
		{"empty provider", ",2024Q3,quality,department,88", "provider_code: empty"},
		{"empty period", "P1,,quality,department,88", "period: empty"},
		{"quarter 5", "P1,2024Q5,quality,department,88", `period: "2024Q5" is not a quarter like 2024Q3`},
		{"quarter 0", "P1,2024Q0,quality,department,88", `period: "2024Q0" is not a quarter like 2024Q3`},
		{"lower-case q", "P1,2024q3,quality,department,88", `period: "2024q3" is not a quarter like 2024Q3`},
		{"month instead of quarter", "P1,2024-07,quality,department,88", `period: "2024-07" is not a quarter like 2024Q3`},
		{"year only", "P1,2024,quality,department,88", `period: "2024" is not a quarter like 2024Q3`},
		{"22nd century", "P1,2100Q1,quality,department,88", `period: "2100Q1" is not a quarter like 2024Q3`},
		{"trailing text", "P1,2024Q3x,quality,department,88", `period: "2024Q3x" is not a quarter like 2024Q3`},
		{"empty dimension", "P1,2024Q3,,department,88", "dimension: empty"},
		{"unknown dimension", "P1,2024Q3,price,department,88", `dimension: unknown dimension "price"`},
		{"dimension in Chinese", "P1,2024Q3,服务质量,department,88", `dimension: unknown dimension "服务质量"`},
		{"empty evaluator", "P1,2024Q3,quality,,88", "evaluator: empty"},
		{"unknown evaluator", "P1,2024Q3,quality,mayor,88", `evaluator: unknown evaluator group "mayor"`},
		{"score above 100", "P1,2024Q3,quality,department,100.5", "score: 100.5 is above 100"},
		{"score below 0", "P1,2024Q3,quality,department,-1", "score: -1 is below 0"},
		{"score not a number", "P1,2024Q3,quality,department,good", `score: "good" is not a decimal number`},
		{"score with exponent", "P1,2024Q3,quality,department,8.8e1", `score: "8.8e1" is not a decimal number`},
		{"empty score", "P1,2024Q3,quality,department,", "score: empty"},
		{"every fault at once", ",2024Q9,speed,boss,101",
			"provider_code: empty\nscore: 101 is above 100\nperiod: \"2024Q9\" is not a quarter like 2024Q3\ndimension: unknown dimension \"speed\"\nevaluator: unknown evaluator group \"boss\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := ParseScore(covRow(t, "scores.csv", covScoreHeader, tc.line))
			if got := covProblems(t, ps); got != tc.problems {
				t.Errorf("problems\n%s\nwant\n%s", got, tc.problems)
			}
			for _, p := range ps {
				if p.File != "scores.csv" || p.Line != 2 {
					t.Errorf("problem %+v not at scores.csv:2", p)
				}
			}
		})
	}
	s, ps := ParseScore(covRow(t, "scores.csv", "score,evaluator,dimension,period,provider_code", " 88.50 ,third_party,quality,2024Q3,P1"))
	if len(ps) != 0 || s.ProviderCode != "P1" || s.Period != "2024Q3" || s.Dimension != DimensionQuality || s.Evaluator != EvaluatorThirdParty || s.Score.String() != "88.5" {
		t.Errorf("score %+v, problems %v", s, ps)
	}
	if strings.Join(ScoreColumns, ",") != covScoreHeader {
		t.Errorf("ScoreColumns %v", ScoreColumns)
	}
}

func TestCovParseCalendarDay(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       CalendarDay
		problems   string
	}{
		{"holiday", "2024-10-01,holiday,国庆节", CalendarDay{Day: metering.MustDate("2024-10-01"), Kind: DayHoliday, Name: "国庆节"}, ""},
		{"workday", "2024-02-18,workday,春节调休", CalendarDay{Day: metering.MustDate("2024-02-18"), Kind: DayWorkday, Name: "春节调休"}, ""},
		{"name optional", "2024-02-18,workday,", CalendarDay{Day: metering.MustDate("2024-02-18"), Kind: DayWorkday}, ""},
		{"bad date", "2024-02-30,holiday,x", CalendarDay{Kind: DayHoliday, Name: "x"}, `date: "2024-02-30" is not a date (YYYY-MM-DD)`},
		{"empty date", ",holiday,x", CalendarDay{Kind: DayHoliday, Name: "x"}, "date: empty"},
		{"empty kind", "2024-10-01,,x", CalendarDay{Day: metering.MustDate("2024-10-01"), Name: "x"}, "kind: empty"},
		{"unknown kind", "2024-10-01,weekend,x", CalendarDay{Day: metering.MustDate("2024-10-01"), Kind: "weekend", Name: "x"}, `kind: kind "weekend" is not holiday or workday`},
		{"kind in Chinese", "2024-10-01,休,x", CalendarDay{Day: metering.MustDate("2024-10-01"), Kind: "休", Name: "x"}, `kind: kind "休" is not holiday or workday`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ps := ParseCalendarDay(covRow(t, "calendar.csv", "date,kind,name", tc.line))
			if got != tc.want {
				t.Errorf("parsed %+v, want %+v", got, tc.want)
			}
			if p := covProblems(t, ps); p != tc.problems {
				t.Errorf("problems %q, want %q", p, tc.problems)
			}
		})
	}
	if strings.Join(CalendarColumns, ",") != "date,kind,name" {
		t.Errorf("CalendarColumns %v", CalendarColumns)
	}
}

func TestCovDimensionsOrder(t *testing.T) {
	var dims []string
	for _, d := range Dimensions {
		dims = append(dims, string(d))
	}
	if got := strings.Join(dims, " "); got != "response quality satisfaction security" {
		t.Errorf("Dimensions %s", got)
	}
	for _, e := range []Evaluator{EvaluatorDepartment, EvaluatorThirdParty, EvaluatorPublic} {
		if !evaluators[e] {
			t.Errorf("evaluator %s not accepted", e)
		}
	}
}

// The string values are what the CSV files and reports carry (docs/rules.md
// §7, §8 and docs/formats.md).
func TestCovTypeValues(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(ObligationProvision), "provision"},
		{string(ObligationChange), "change"},
		{string(ObligationExit), "exit"},
		{string(ObligationGoLive), "go_live"},
		{string(ObligationOnTime), "on_time"},
		{string(ObligationLate), "late"},
		{string(ObligationOpen), "open"},
		{string(ObligationOverdue), "overdue"},
		{string(FindingIdle), "idle"},
		{string(FindingZombie), "zombie"},
		{string(FindingBeyondApproval), "beyond_approval"},
		{string(FindingGap), "gap"},
		{string(FindingUnconfirmed), "unconfirmed"},
		{string(FindingAfterRelease), "after_release"},
		{string(DayHoliday), "holiday"},
		{string(DayWorkday), "workday"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%q, want %q", tc.got, tc.want)
			}
		})
	}
}
