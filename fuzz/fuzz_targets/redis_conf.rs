//! Fuzz target: evictsim::fuzzing::redis_conf on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evictsim::fuzzing::redis_conf(data));
