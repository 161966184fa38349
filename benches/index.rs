//! Near-duplicate index: all pairs within Hamming distance k among N fingerprints, on one core.
//!
//! Run: `cargo bench --bench index -- [N ...] [--k K]` (default N = 1000000 10000000, k = 3).
//! Each fingerprint is looked up among the earlier ones and then inserted, so every pair within
//! k is found once. A tenth of the fingerprints are near copies of an earlier one (1 to k bits
//! flipped), the rest random. Printed per N: seconds, pairs found, and the same work with the
//! portable bit count (the x86-64 baseline has no POPCNT). The baseline is brute force (every
//! pair compared) timed on the first 20,000 fingerprints in the same run and scaled by N^2; its
//! pair count is checked against the index's on those 20,000.
use newsprep::stages::dedup::index::{Dense, NearIndex};
use std::time::Instant;

/// splitmix64: a fixed, seedable stream of fingerprints.
fn fingerprints(n: usize, k: u32) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut out: Vec<u64> = Vec::with_capacity(n);
    for i in 0..n {
        let r = next();
        if i > 0 && r % 10 == 0 {
            let mut fp = out[(next() % i as u64) as usize];
            for _ in 0..(1 + next() % u64::from(k.max(1))) {
                fp ^= 1 << (next() % 64);
            }
            out.push(fp);
        } else {
            out.push(next());
        }
    }
    out
}

/// All pairs within k through the index: (seconds, pairs).
fn index_pairs(fps: &[u64], k: u32, portable: bool) -> (f64, u64) {
    let start = Instant::now();
    let mut ix = NearIndex::<Dense>::new(k);
    let mut pairs = 0u64;
    for (i, &fp) in fps.iter().enumerate() {
        let mut last = u32::MAX;
        // An entry can turn up under more than one block; count it once (ids arrive per
        // bucket in increasing order, so a set is only needed across buckets).
        let mut seen: Vec<u32> = Vec::new();
        let mut each = |_d: u32, id: u32| {
            if id != last && !seen.contains(&id) {
                seen.push(id);
                last = id;
            }
        };
        if portable {
            ix.for_each_within_portable(fp, &mut each);
        } else {
            ix.for_each_within(fp, &mut each);
        }
        pairs += seen.len() as u64;
        ix.insert(fp, i as u32);
    }
    (start.elapsed().as_secs_f64(), pairs)
}

/// All pairs within k by comparing every pair: (seconds, pairs).
fn brute_pairs(fps: &[u64], k: u32) -> (f64, u64) {
    let start = Instant::now();
    let mut pairs = 0u64;
    for (i, &a) in fps.iter().enumerate() {
        pairs += fps[..i].iter().filter(|&&b| (a ^ b).count_ones() <= k).count() as u64;
    }
    (start.elapsed().as_secs_f64(), pairs)
}

fn main() {
    let mut sizes: Vec<usize> = Vec::new();
    let mut k = 3u32;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--k" => k = args.next().and_then(|v| v.parse().ok()).expect("--k takes 0 to 7"),
            "--bench" => {}
            n => sizes.push(n.replace('_', "").parse().expect("N is a count of fingerprints")),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1_000_000, 10_000_000];
    }
    let popcnt = cfg!(target_arch = "x86_64") && {
        #[cfg(target_arch = "x86_64")]
        let has = std::is_x86_feature_detected!("popcnt");
        #[cfg(not(target_arch = "x86_64"))]
        let has = false;
        has
    };
    println!("near index, k = {k}, one thread, POPCNT on this CPU: {popcnt}");
    let m = 20_000;
    let sample = fingerprints(m, k);
    let (brute_s, brute_n) = brute_pairs(&sample, k);
    let (_, index_n) = index_pairs(&sample, k, false);
    assert_eq!(brute_n, index_n, "the index and brute force disagree on {m} fingerprints");
    println!("brute force, {m} fingerprints: {brute_s:.3} s, {brute_n} pairs (the index finds the same)");
    for n in sizes {
        let fps = fingerprints(n, k);
        let (secs, pairs) = index_pairs(&fps, k, false);
        let (portable, _) = index_pairs(&fps, k, true);
        let brute = brute_s * (n as f64 / m as f64).powi(2);
        println!(
            "N = {n}: {secs:.2} s, {pairs} pairs, {:.0} ns per lookup; portable bit count {portable:.2} s ({:.2}x); brute force would take ~{brute:.0} s ({:.0}x)",
            secs * 1e9 / n as f64,
            portable / secs,
            brute / secs
        );
    }
}
