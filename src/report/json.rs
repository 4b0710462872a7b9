//! The report programs read: pretty JSON holding every counter, per class
//! and summed, with percentiles of the eviction histograms and the verdict.
//! Field names are a public schema and stay stable; field and class order
//! is fixed (classes in the scenario's order), and there are no floats, so
//! the same run always gives the same bytes. Histogram percentiles are
//! HdrHistogram's: the top of the bucket holding the value, so within 1% of
//! what was recorded (the histograms keep two significant digits).

use hdrhistogram::Histogram;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::summary::Summary;
use super::{Exporter, ReportError};
use crate::metrics::{ClassMetrics, Counters, Metrics};
use crate::sim::{ClassInfo, RunResult};

/// Renders a run as pretty JSON.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let summary = Summary::new(r);
        let name = |i: Option<usize>| i.and_then(|i| r.results.get(i)).map(|p| p.policy.name());
        let doc = JsonRun {
            scenario: &r.scenario,
            seed: r.seed,
            maxmemory_bytes: r.maxmemory_bytes,
            ops: r.ops,
            simulated_ms: r.simulated_ms,
            unbounded_peak_memory: r.unbounded_peak_memory,
            verdict: JsonVerdict {
                safest: name(summary.verdict.safest),
                worst: name(summary.verdict.worst),
            },
            results: r
                .results
                .iter()
                .zip(&summary.policies)
                .map(|(run, s)| JsonPolicy {
                    policy: run.policy.name(),
                    peak_used_memory: run.metrics.peak_used_memory,
                    classes: JsonClasses {
                        infos: &r.classes,
                        metrics: &run.metrics,
                    },
                    totals: s.totals,
                    critical_totals: s.critical_totals,
                })
                .collect(),
        };
        let mut out = serde_json::to_vec_pretty(&doc)?;
        out.push(b'\n');
        Ok(out)
    }
}

#[derive(Serialize)]
struct JsonRun<'a> {
    scenario: &'a str,
    seed: u64,
    maxmemory_bytes: u64,
    ops: u64,
    simulated_ms: u64,
    unbounded_peak_memory: u64,
    verdict: JsonVerdict,
    results: Vec<JsonPolicy<'a>>,
}

#[derive(Serialize)]
struct JsonVerdict {
    safest: Option<&'static str>,
    worst: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    policy: &'static str,
    peak_used_memory: u64,
    classes: JsonClasses<'a>,
    totals: Counters,
    critical_totals: Counters,
}

/// The classes as a JSON object in the scenario's order (a map type would
/// sort them by name).
struct JsonClasses<'a> {
    infos: &'a [ClassInfo],
    metrics: &'a Metrics,
}

impl Serialize for JsonClasses<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs = self.infos.iter().zip(&self.metrics.classes);
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (info, m) in pairs {
            map.serialize_entry(&info.name, &JsonClass::new(info, m))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonClass<'a> {
    critical: bool,
    #[serde(flatten)]
    counters: &'a Counters,
    idle_at_eviction_ms: JsonHistogram,
    ttl_left_at_eviction_ms: JsonHistogram,
}

impl<'a> JsonClass<'a> {
    fn new(info: &ClassInfo, m: &'a ClassMetrics) -> Self {
        JsonClass {
            critical: info.critical,
            counters: &m.counters,
            idle_at_eviction_ms: JsonHistogram::new(&m.idle_at_eviction_ms),
            ttl_left_at_eviction_ms: JsonHistogram::new(&m.ttl_left_at_eviction_ms),
        }
    }
}

/// A histogram's count and percentiles; the values are `null` when it is empty.
#[derive(Serialize)]
pub(crate) struct JsonHistogram {
    count: u64,
    p50: Option<u64>,
    p90: Option<u64>,
    p99: Option<u64>,
    max: Option<u64>,
}

impl JsonHistogram {
    pub(crate) fn new(h: &Histogram<u64>) -> Self {
        let q = |q: f64| (!h.is_empty()).then(|| h.value_at_quantile(q));
        JsonHistogram {
            count: h.len(),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: (!h.is_empty()).then(|| h.max()),
        }
    }
}
