//! The benchmarks' iteration counts, full and `--quick`.

use serde_json::{json, Value};

/// Iteration counts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub(crate) reps: u32,
    pub(crate) warm_n: u64,
    pub(crate) dlsym_n: u64,
    pub(crate) call_n: u64,
    pub(crate) cold_samples: u32,
    pub(crate) cold_uncached_samples: u32,
    pub(crate) cold_unchecked_samples: u32,
    pub(crate) big_functions: usize,
    pub(crate) scale_libs: usize,
    pub(crate) scale_dlsym_n: u64,
    pub(crate) scale_passes: u32,
    pub(crate) churn_cycles: u64,
    pub(crate) churn_points: u64,
    pub(crate) limits_cycles: u64,
}

impl Params {
    pub(crate) fn new(quick: bool) -> Params {
        if quick {
            Params {
                reps: 3,
                warm_n: 20,
                dlsym_n: 200,
                call_n: 20_000,
                cold_samples: 1,
                cold_uncached_samples: 1,
                cold_unchecked_samples: 1,
                big_functions: 40,
                scale_libs: 8,
                scale_dlsym_n: 200,
                scale_passes: 2,
                churn_cycles: 200,
                churn_points: 4,
                limits_cycles: 0,
            }
        } else {
            Params {
                reps: 11,
                warm_n: 4_000,
                dlsym_n: 300_000,
                call_n: 30_000_000,
                cold_samples: 15,
                cold_uncached_samples: 5,
                cold_unchecked_samples: 5,
                big_functions: 420,
                scale_libs: 1_000,
                scale_dlsym_n: 100_000,
                scale_passes: 6,
                churn_cycles: 100_000,
                churn_points: 20,
                limits_cycles: 12_000,
            }
        }
    }

    pub(crate) fn to_json(self) -> Value {
        json!({
            "reps": self.reps, "warm_n": self.warm_n, "dlsym_n": self.dlsym_n, "call_n": self.call_n,
            "cold_samples": self.cold_samples, "cold_uncached_samples": self.cold_uncached_samples,
            "cold_unchecked_samples": self.cold_unchecked_samples,
            "big_functions": self.big_functions, "scale_libs": self.scale_libs,
            "scale_dlsym_n": self.scale_dlsym_n, "scale_passes": self.scale_passes,
            "churn_cycles": self.churn_cycles, "churn_points": self.churn_points,
            "limits_cycles": self.limits_cycles,
        })
    }
}
