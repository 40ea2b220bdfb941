//! Throughput and memory of reading EDIFACT and X12 interchanges into
//! canonical documents: parsing, the readers' validation and the mapping.
//!
//! ```text
//! bench_parse gen DIR [ORDERS...]   write edifact-N.edi and x12-N.edi for each N
//!                                   (default 1000 and 10000 orders)
//! bench_parse run DIR [REPS]        time and measure the files of 10000 orders
//!                                   (and 1000 for memory); REPS defaults to 7
//! bench_parse mem FILE FORMAT MODE  one memory measurement (used by `run`)
//! ```
//!
//! Orders are `samples::large_order(seed, lines)` with `lines` 5..=50, chosen
//! deterministically from the seed, so every run reads the same bytes.
//! `run` prints one `RESULT` line per measurement for `bench/run.sh`.
//!
//! Memory is the peak resident set (Linux `VmHWM`) of a fresh process of
//! this program (`bench_parse mem FILE FORMAT MODE`) above its resident set
//! once the input is loaded. (A counting `#[global_allocator]` would give
//! heap bytes exactly, but it needs `unsafe`, which the workspace forbids.)

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use renkei_edi::{Document, Outgoing, edifact, samples, x12};

/// The allocator of the `renkei` binary, so that the figures are the
/// service's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

const CHUNK: usize = 64 * 1024;

fn outgoing() -> Outgoing {
    Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "000000417".into(),
        prepared: "2026-11-21".parse().expect("a valid date"),
        time: "0930".into(),
    }
}

/// Lines of the order numbered `seed`: 5..=50, spread by a multiplicative hash.
fn lines_of(seed: u64) -> u32 {
    5 + u32::try_from(seed.wrapping_mul(2_654_435_761) % 46).expect("below 46")
}

fn orders(n: u64) -> Vec<Document> {
    (1..=n)
        .map(|seed| Document::Order(samples::large_order(seed, lines_of(seed))))
        .collect()
}

fn file(dir: &Path, format: &str, orders: u64) -> PathBuf {
    dir.join(format!("{format}-{orders}.edi"))
}

fn generate(dir: &Path, sizes: &[u64]) {
    std::fs::create_dir_all(dir).expect("the output directory can be created");
    for &n in sizes {
        let docs = orders(n);
        let lines: u64 = (1..=n).map(|s| u64::from(lines_of(s))).sum();
        let e = edifact::write(&outgoing(), edifact::Version::D96A, &docs);
        std::fs::write(file(dir, "edifact", n), &e).expect("written");
        let x = x12::write(&outgoing(), x12::Version::V005010, &docs)
            .expect("X12 can carry the orders");
        std::fs::write(file(dir, "x12", n), &x).expect("written");
        eprintln!(
            "{n} orders, {lines} lines: EDIFACT {} bytes, X12 {} bytes",
            e.len(),
            x.len()
        );
    }
}

/// What one pass over an interchange saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    documents: usize,
    failed: usize,
    problems: usize,
}

impl Seen {
    fn assert_clean(&self, expected: usize, what: &str) {
        assert!(
            self.failed == 0 && self.problems == 0 && self.documents == expected,
            "{what}: {self:?}, expected {expected} documents and no problems"
        );
    }
}

fn count(result: &Result<Document, Vec<renkei_edi::Problem>>, seen: &mut Seen) {
    match result {
        Ok(_) => seen.documents += 1,
        Err(_) => seen.failed += 1,
    }
}

fn edifact_read(bytes: &[u8]) -> Seen {
    let reading = edifact::read(bytes);
    let mut seen = Seen {
        problems: reading.problems.len(),
        ..Seen::default()
    };
    for m in &reading.messages {
        count(&m.result, &mut seen);
    }
    seen
}

fn edifact_stream(bytes: &[u8], rules: bool) -> Seen {
    let mut seen = Seen::default();
    let mut decoder = edifact::Decoder::new();
    let mut on = |event| {
        if let edifact::Event::Message(m) = event {
            if rules && let Ok(d) = &m.result {
                seen.problems += renkei_edi::rules::check(d).len();
            }
            count(&m.result, &mut seen);
        }
    };
    for chunk in bytes.chunks(CHUNK) {
        decoder.feed(chunk, &mut on);
    }
    let problems = decoder.finish(&mut on);
    seen.problems += problems.len();
    seen
}

fn x12_read(bytes: &[u8]) -> Seen {
    let reading = x12::read(bytes);
    let mut seen = Seen {
        problems: reading.problems.len(),
        ..Seen::default()
    };
    for m in &reading.messages {
        count(&m.result, &mut seen);
    }
    seen
}

fn x12_stream(bytes: &[u8], rules: bool) -> Seen {
    let mut seen = Seen::default();
    let mut decoder = x12::Decoder::new();
    let mut on = |event| {
        if let x12::Event::Message(m) = event {
            if rules && let Ok(d) = &m.result {
                seen.problems += renkei_edi::rules::check(d).len();
            }
            count(&m.result, &mut seen);
        }
    };
    for chunk in bytes.chunks(CHUNK) {
        decoder.feed(chunk, &mut on);
    }
    let problems = decoder.finish(&mut on);
    seen.problems += problems.len();
    seen
}

type Pass = fn(&[u8]) -> Seen;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(name: &str, bytes: &[u8], orders: usize, reps: usize, pass: Pass) {
    // One warm-up pass, checked.
    pass(bytes).assert_clean(orders, name);
    let mut secs = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        let seen = std::hint::black_box(pass(std::hint::black_box(bytes)));
        secs.push(start.elapsed().as_secs_f64());
        seen.assert_clean(orders, name);
    }
    let med = median(secs.clone());
    let min = secs.iter().copied().fold(f64::INFINITY, f64::min);
    let mbps = bytes.len() as f64 / med / 1e6;
    let docs = orders as f64 / med;
    println!(
        "{name:<34} {:>9.1} MB/s (best {:>6.1}) {:>10.0} docs/s  median {:>8.1} ms of {reps}",
        mbps,
        bytes.len() as f64 / min / 1e6,
        docs,
        med * 1e3,
    );
    println!("RESULT {name} {mbps:.2} {docs:.0}");
    // The fastest pass: on a shared virtual machine the median moves with
    // the neighbours' load, the best pass much less.
    println!("BEST {name} {:.2}", bytes.len() as f64 / min / 1e6);
}

/// Peak memory of one pass, measured in a fresh process of this program
/// (`mem`) so that earlier passes leave nothing behind.
fn memory(name: &str, path: &Path, format: &str, mode: &str) {
    let out = std::process::Command::new(std::env::current_exe().expect("this program"))
        .args(["mem", &path.display().to_string(), format, mode])
        .output()
        .expect("the measuring process runs");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let fields: Vec<usize> = text
        .split_whitespace()
        .map(|f| f.parse().expect("numbers"))
        .collect();
    let [input, peak, hwm] = fields[..] else {
        panic!("{name}: unexpected output {text:?}")
    };
    println!(
        "{name:<34} input {input:>11} bytes  peak RSS above baseline {:>9.2} MB  (process peak RSS {:.2} MB)",
        peak as f64 / 1e6,
        hwm as f64 / 1e6
    );
    println!("MEMORY {name} {input} {peak} {hwm}");
}

/// The `mem` command: loads the file, notes the resident set, runs one
/// pass, and prints input size, peak RSS above that baseline, and the
/// process's peak RSS, in bytes.
fn measure(path: &Path, format: &str, mode: &str) {
    let bytes = load(path);
    let pass: Pass = match (format, mode) {
        ("edifact", "read") => edifact_read,
        ("edifact", "decoder") => |b| edifact_stream(b, false),
        ("x12", "read") => x12_read,
        ("x12", "decoder") => |b| x12_stream(b, false),
        _ => panic!("mem FILE edifact|x12 read|decoder"),
    };
    let base = status_bytes("VmRSS");
    let seen = std::hint::black_box(pass(&bytes));
    let hwm = status_bytes("VmHWM");
    assert!(seen.failed == 0 && seen.problems == 0, "{seen:?}");
    println!("{} {} {hwm}", bytes.len(), hwm.saturating_sub(base));
}

fn load(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e} (run `gen` first)", path.display()))
}

fn run(dir: &Path, reps: usize) {
    const BIG: u64 = 10_000;
    const SMALL: u64 = 1_000;
    let n = usize::try_from(BIG).expect("fits");
    let e = load(&file(dir, "edifact", BIG));
    let x = load(&file(dir, "x12", BIG));
    println!(
        "throughput: {BIG} orders; EDIFACT {} bytes, X12 {} bytes; {CHUNK}-byte chunks for the decoder",
        e.len(),
        x.len()
    );
    time("edifact read", &e, n, reps, edifact_read);
    time("edifact decoder", &e, n, reps, |b| edifact_stream(b, false));
    time("edifact decoder+rules::check", &e, n, reps, |b| {
        edifact_stream(b, true)
    });
    time("x12 read", &x, n, reps, x12_read);
    time("x12 decoder", &x, n, reps, |b| x12_stream(b, false));
    time("x12 decoder+rules::check", &x, n, reps, |b| {
        x12_stream(b, true)
    });

    println!(
        "memory (peak resident set above the baseline with the input loaded; one fresh process each):"
    );
    for size in [SMALL, BIG] {
        for format in ["edifact", "x12"] {
            let path = file(dir, format, size);
            for mode in ["decoder", "read"] {
                memory(&format!("{format} {mode} {size}"), &path, format, mode);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") if args.len() >= 2 => {
            let sizes: Vec<u64> = if args.len() > 2 {
                args[2..]
                    .iter()
                    .map(|a| a.parse().expect("a number of orders"))
                    .collect()
            } else {
                vec![1_000, 10_000]
            };
            generate(Path::new(&args[1]), &sizes);
        }
        Some("run") if args.len() >= 2 => {
            let reps = args
                .get(2)
                .map_or(7, |r| r.parse().expect("a number of repetitions"));
            run(Path::new(&args[1]), reps);
        }
        Some("mem") if args.len() == 4 => measure(Path::new(&args[1]), &args[2], &args[3]),
        _ => {
            eprintln!("usage: bench_parse gen DIR [ORDERS...] | bench_parse run DIR [REPS]");
            std::process::exit(2);
        }
    }
}
