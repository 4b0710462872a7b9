//! Fuzz target: the monitor trace reader on arbitrary bytes (first byte: flags).
#![no_main]
use evictsim::trace::TraceFormat;
libfuzzer_sys::fuzz_target!(|data: &[u8]| evictsim::fuzzing::trace(TraceFormat::Monitor, data));
