package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"cloudbill/app"
	"cloudbill/store"
)

// Metrics are the daemon's Prometheus metrics, on a private registry (no
// global state, so tests can build as many as they like).
type Metrics struct {
	reg         *prometheus.Registry
	duration    *prometheus.HistogramVec
	runs        *prometheus.CounterVec
	ingested    prometheus.Counter
	rejected    prometheus.Counter
	filesFailed prometheus.Counter
	lastSuccess *prometheus.GaugeVec
	buildInfo   *prometheus.GaugeVec
}

// NewMetrics returns the daemon's metrics; version names the build
// (cloudbill_build_info).
func NewMetrics(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cloudbill_job_duration_seconds",
			Help:    "Duration of job runs that started, by job and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 16), // 0.25 s … about 2.3 h
		}, []string{"job", "status"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudbill_job_runs_total",
			Help: "Job runs by job and status (succeeded, failed, skipped).",
		}, []string{"job", "status"}),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cloudbill_rows_ingested_total",
			Help: "Metering rows written by the nightly ingestion (new or replaced).",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cloudbill_rows_rejected_total",
			Help: "Metering rows rejected by the nightly ingestion (see cloudbill rejects).",
		}),
		filesFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cloudbill_files_failed_total",
			Help: "Metering files the nightly ingestion could not read (moved to the inbox's failed/ folder).",
		}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cloudbill_job_last_success_timestamp_seconds",
			Help: "Unix time the last successful run of each job finished (0: never).",
		}, []string{"job"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cloudbill_build_info",
			Help: "Always 1; the labels name the build.",
		}, []string{"version", "goversion"}),
	}
	m.buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	m.reg.MustRegister(m.duration, m.runs, m.ingested, m.rejected, m.filesFailed, m.lastSuccess, m.buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one finished (or skipped) run.
func (m *Metrics) Observe(r store.JobRun) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Job, string(r.Status)).Inc()
	if r.Status == store.JobStatusSkipped {
		return
	}
	m.duration.WithLabelValues(r.Job, string(r.Status)).Observe(r.Duration().Seconds())
	m.ingested.Add(float64(r.Counts[app.CountRowsIngested]))
	m.rejected.Add(float64(r.Counts[app.CountRowsRejected]))
	m.filesFailed.Add(float64(r.Counts[app.CountFilesFailed]))
	if r.Status == store.JobStatusSucceeded {
		m.lastSuccess.WithLabelValues(r.Job).Set(float64(r.FinishedAt.Unix()))
	}
}

// Restore sets the last-success gauges from the job history, so that a
// restarted daemon does not report its jobs as never having succeeded.
func (m *Metrics) Restore(ctx context.Context, db *store.DB, jobs []string) error {
	for _, j := range jobs {
		last, ok, err := db.LastJobRun(ctx, j, store.JobStatusSucceeded)
		if err != nil {
			return err
		}
		if ok {
			m.lastSuccess.WithLabelValues(j).Set(float64(last.FinishedAt.Unix()))
		} else {
			m.lastSuccess.WithLabelValues(j).Set(0)
		}
	}
	return nil
}

// Handler serves /metrics and /healthz: 200 with {"status":"ok"} when
// health finds nothing wrong, else 503 with the problems named.
func (m *Metrics) Handler(health func(context.Context) Health) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := health(r.Context())
		code := http.StatusOK
		if h.Status != "ok" {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(h)
	})
	return mux
}
