//! The catalogue of bad inputs (issue 7, first part): each file is generated here, the batch is
//! run once, and every file's manifest row is checked for its exact status and message; the
//! rest of the batch is cleaned, and the exit code says that some files failed.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// A distinct two-paragraph article of generated sentences (seeded by `topic`), so no two files
/// are near-duplicates, no line repeats across files (site boilerplate) and no first line
/// reads as a title.
fn article(topic: &str) -> String {
    const WORDS: [&str; 32] = [
        "council", "harbour", "workers", "river", "market", "station", "budget", "school", "police", "mayor",
        "festival", "court", "union", "farmers", "hospital", "museum", "trains", "weather", "plan", "bridge",
        "ferry", "tunnel", "library", "parking", "housing", "water", "energy", "taxes", "airport", "stadium",
        "garden", "bakery",
    ];
    let mut state = topic.bytes().fold(2_166_136_261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619));
    let mut sentence = || {
        let words: Vec<&str> = (0..14)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                WORDS[(state % 32) as usize]
            })
            .collect();
        format!("The {topic} report said the {} would change this year.", words.join(" "))
    };
    format!("{} {}\n\n{} {}", sentence(), sentence(), sentence(), sentence())
}

/// `text` in Windows-1252 (every character of the tests' texts has a byte there).
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20ac}' => 0x80,
            c if (c as u32) < 0x100 => c as u8,
            c => panic!("{c} is not in the test's Windows-1252 subset"),
        })
        .collect()
}

/// `text` in UTF-16 with its byte-order mark.
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
    for u in text.encode_utf16() {
        out.extend(if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
    }
    out
}

/// `newsprep run -q -i RAW -o OUT` with `extra` flags.
fn run(raw: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = Command::cargo_bin("newsprep").unwrap();
    c.args(["run", "-q", "-i"]).arg(raw).arg("-o").arg(out).args(extra).output().unwrap()
}

/// Decodes a span of a raw file by hand, to check it against the corpus.
type Decoder = fn(&[u8]) -> String;

/// A JSONL record of 1.5 MB, over the test's 1 MiB line limit.
fn huge_line() -> String {
    serde_json::json!({"id": "huge", "text": "word ".repeat(300_000)}).to_string()
}

fn catalogue(raw: &Path) {
    let w = |name: &str, bytes: &[u8]| {
        let p = raw.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    };
    w("empty.txt", b"");
    w("spaces.txt", b"  \n\t\n\xC2\xA0\n");
    w("png.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    // gzip bytes under a .txt name: read as text, so refused as binary.
    w(
        "gzip-unnamed.txt",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbH\xcd\xc9\xc9W(\xcf/\xcaI\xe1\x02\x00",
    );
    let mut state = 7u32;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    w("random.txt", &random);
    w("nul-inside.txt", format!("{}\0tail", article("harbour")).as_bytes());
    // UTF-8 with one torn character: refused, not re-read in a legacy encoding.
    w("bad-utf8.txt", b"The caf\xc3\xa9 report was \xc3 published on Monday.\n");
    w("windows-1252.txt", &cp1252(&article("caf\u{e9}")));
    w(
        "latin1.txt",
        &cp1252(
            "Le ma\u{ee}tre a r\u{e9}pondu \u{e0} la d\u{e9}l\u{e9}gation fran\u{e7}aise apr\u{e8}s la r\u{e9}union du conseil municipal.\n\nLes \u{e9}lus se retrouveront en f\u{e9}vrier pour d\u{e9}cider du budget de l'ann\u{e9}e prochaine.",
        ),
    );
    w("utf16le.txt", &utf16(&article("\u{43f}\u{43e}\u{440}\u{442}"), false));
    w("utf16be.txt", &utf16(&article("\u{6e2f}\u{53e3}"), true));
    let mut torn16 = utf16("Half a character at the end", false);
    torn16.extend([0x3d, 0xd8]);
    w("utf16-torn.txt", &torn16);
    // No NUL byte, not UTF-8: chardetng picks an encoding, which yields control characters.
    w("controls.txt", b"\x81\x02\x03\xfe\xfd\x04\x05\x06\x07 data \x10\x11");
    w("crlf.txt", article("ferry").replace('\n', "\r\n").as_bytes());
    w("lone-cr.txt", article("bridge").replace('\n', "\r").as_bytes());
    let deep: Vec<String> = (0..40).map(|i| format!("d{i}")).collect();
    w(&format!("{}/deep.txt", deep.join("/")), article("tunnel").as_bytes());
    w(
        "arabic.txt",
        "نشر التقرير يوم الاثنين بعد مراجعة طويلة من المجلس ومستشاريه في المدينة.\n\nقال المسؤولون إن النتائج ستناقش مرة أخرى في الاجتماع العام المقبل في الربيع.\n"
            .as_bytes(),
    );
    w(
        "chinese.txt",
        "报告在星期一经过市议会及其顾问的长时间审查后发布，引起了广泛关注。\n\n官员表示，调查结果将在春季的下一次公开会议上再次讨论，并听取市民意见。\n".as_bytes(),
    );
    w(
        "cyrillic.txt",
        "Доклад был опубликован в понедельник после долгой проверки советом и его советниками.\n\nЧиновники сказали, что выводы снова обсудят 🎉 на следующем открытом заседании весной.\n"
            .as_bytes(),
    );
    let good = serde_json::json!({"id": "good", "text": article("market")}).to_string();
    let huge = huge_line();
    w(
        "feed.jsonl",
        format!(
            "{good}\n{{\"id\": \"broken\", \"text\": \n{{\"id\": \"notext\", \"body\": \"x\"}}\n{huge}\n"
        )
        .as_bytes(),
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(".", raw.join("loop")).unwrap();
        std::os::unix::fs::symlink("nowhere.txt", raw.join("dangling.txt")).unwrap();
        // A named pipe would block the reader forever if it were opened.
        let made = std::process::Command::new("mkfifo").arg(raw.join("pipe.txt")).status().unwrap();
        assert!(made.success());
        std::os::unix::fs::symlink("pipe.txt", raw.join("to-pipe.txt")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        w("locked.txt", article("garden").as_bytes());
        fs::set_permissions(raw.join("locked.txt"), fs::Permissions::from_mode(0o000)).unwrap();
    }
}

/// Whether this process can read a file it has no permission for (root can).
#[cfg(unix)]
fn reads_anything(raw: &Path) -> bool {
    fs::File::open(raw.join("locked.txt")).is_ok()
}

#[test]
fn every_bad_input_gets_a_row_with_its_status_and_message_and_the_rest_is_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    catalogue(&raw);
    let config = dir.path().join("pipeline.toml");
    fs::write(&config, "[input]\npath = \"raw\"\nmax-file-bytes = 1048576\n").unwrap();
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["run", "-q", "-c"])
        .arg(&config)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "some files could not be read: exit 1");
    let stderr = String::from_utf8(o.stderr).unwrap();

    // Per id: status, message, encoding.
    let mut rows = BTreeMap::new();
    let mut r = csv::Reader::from_path(dir.path().join("cleaned/manifest.csv")).unwrap();
    for row in r.records() {
        let row = row.unwrap();
        rows.insert(row[0].to_string(), (row[6].to_string(), row[11].to_string(), row[5].to_string()));
    }
    let deep = format!("{}/deep", (0..40).map(|i| format!("d{i}")).collect::<Vec<_>>().join("/"));
    let too_long =
        format!("line 4: line is {} bytes, over the limit (input.max-file-bytes)", huge_line().len());
    // One stray NUL in a page of text is debris, not a binary file: the article is kept.
    let nul_at = format!(
        "1 stray control byte (NUL or C0) read as spaces, the first at offset {}",
        article("harbour").len()
    );
    let want: Vec<(&str, &str, &str)> = vec![
        ("arabic", "kept", ""),
        ("bad-utf8", "error", "not valid UTF-8: invalid byte sequence at offset 21"),
        ("chinese", "kept", ""),
        ("controls", "error", "binary file: control character U+0002 at offset 1 (read as windows-1251)"),
        ("crlf", "kept", ""),
        ("cyrillic", "kept", ""),
        ("dangling", "error", "cannot read: broken symlink: its target does not exist"),
        (&deep, "kept", ""),
        ("empty", "empty", "no text in the file"),
        ("feed-2", "error", "line 2: invalid JSON: EOF while parsing a value at line 1 column 25"),
        ("good", "kept", ""),
        ("latin1", "kept", ""),
        ("gzip-unnamed", "error", "binary file: NUL byte at offset 3"),
        // Too long to be parsed, so it gets the file's id with its line number.
        ("feed-4", "error", &too_long),
        ("lone-cr", "kept", ""),
        ("loop", "skipped", "symlink to a folder is not followed"),
        ("notext", "error", "line 3: no `text` field (input.fields.text)"),
        ("nul-inside", "kept", &nul_at),
        ("pipe", "skipped", "a named pipe is not read"),
        ("png", "error", "binary file: NUL byte at offset 8"),
        ("random", "error", &rows["random"].1),
        ("spaces", "empty", "no text in the file"),
        ("to-pipe", "skipped", "symlink to a named pipe is not read"),
        ("utf16-torn", "error", "not valid UTF-16LE: malformed sequence at offset 56"),
        ("utf16be", "kept", ""),
        ("utf16le", "kept", ""),
        ("windows-1252", "kept", ""),
    ];
    let mut want = want;
    // Without root, a file without read permission is an error; root reads it anyway.
    #[cfg(unix)]
    let locked = if reads_anything(&raw) {
        ("locked", "kept", "")
    } else {
        ("locked", "error", "cannot read: Permission denied (os error 13)")
    };
    #[cfg(unix)]
    want.push(locked);
    for (id, status, message) in &want {
        let got = rows.get(*id).unwrap_or_else(|| panic!("no row for {id}: {rows:?}"));
        assert_eq!((got.0.as_str(), got.1.as_str()), (*status, *message), "{id}");
        if *status == "error" {
            assert!(stderr.contains(message), "{id}'s error is on stderr: {stderr}");
        }
    }
    #[cfg(unix)]
    assert_eq!(rows.len(), want.len(), "one row per file or record, nothing dropped: {rows:?}");
    assert!(rows["random"].1.starts_with("binary file: NUL byte at offset"), "{:?}", rows["random"]);

    // Kept text is the input's, script for script; CR and CRLF files split into paragraphs.
    let records: BTreeMap<String, serde_json::Value> =
        fs::read_to_string(dir.path().join("cleaned/corpus.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["id"].as_str().unwrap().to_string(), v))
            .collect();
    let corpus: BTreeMap<&str, &str> =
        records.iter().map(|(id, v)| (id.as_str(), v["text"].as_str().unwrap())).collect();
    assert_eq!(
        corpus["chinese"],
        "报告在星期一经过市议会及其顾问的长时间审查后发布，引起了广泛关注。\n\n官员表示，调查结果将在春季的下一次公开会议上再次讨论，并听取市民意见。"
    );
    assert!(corpus["arabic"].starts_with("نشر التقرير يوم الاثنين"));
    assert!(corpus["cyrillic"].contains("🎉"));
    for id in ["crlf", "lone-cr"] {
        assert_eq!(corpus[id].split("\n\n").count(), 2, "{id}: {:?}", corpus[id]);
        assert!(!corpus[id].contains('\r'));
    }

    // Other encodings: decoded to the article's text, the encoding recorded in the manifest and
    // the corpus, and each kept paragraph's span holds that paragraph in the file's own bytes.
    let decoders: [(&str, &str, Decoder, String); 4] = [
        (
            "windows-1252",
            "windows-1252",
            |b| b.iter().map(|&b| if b == 0x80 { '€' } else { b as char }).collect(),
            article("caf\u{e9}"),
        ),
        ("latin1", "windows-1252", |b| b.iter().map(|&b| b as char).collect(), String::new()),
        (
            "utf16le",
            "UTF-16LE",
            |b| {
                char::decode_utf16(b.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
                    .map(Result::unwrap)
                    .collect()
            },
            article("\u{43f}\u{43e}\u{440}\u{442}"),
        ),
        (
            "utf16be",
            "UTF-16BE",
            |b| {
                char::decode_utf16(b.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])))
                    .map(Result::unwrap)
                    .collect()
            },
            article("\u{6e2f}\u{53e3}"),
        ),
    ];
    for (id, encoding, decode, text) in decoders {
        assert_eq!(
            (rows[id].2.as_str(), &records[id]["encoding"]),
            (encoding, &serde_json::json!(encoding)),
            "{id}"
        );
        let raw = fs::read(dir.path().join(format!("raw/{id}.txt"))).unwrap();
        let kept: Vec<&str> = records[id]["text"].as_str().unwrap().split("\n\n").collect();
        let spans = records[id]["spans"].as_array().unwrap();
        assert_eq!(spans.len(), kept.len(), "{id}");
        for (span, para) in spans.iter().zip(&kept) {
            let (start, end) = (span[0].as_u64().unwrap() as usize, span[1].as_u64().unwrap() as usize);
            assert_eq!(decode(&raw[start..end]), *para, "{id} span {start}..{end}");
        }
        if !text.is_empty() {
            assert_eq!(records[id]["text"], text.as_str(), "{id}");
        }
    }
    assert!(
        records["latin1"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Le maître a répondu à la délégation française")
    );
    assert_eq!(rows["arabic"].2, "UTF-8");
    assert_eq!(rows["bad-utf8"].2, "", "not decoded, so no encoding");
}

/// A file deleted between discovery and reading (as by a scraper rotating its output) gets an
/// `error` row saying so; the files around it are cleaned.
#[test]
fn a_file_that_disappears_mid_run_is_an_error_row_and_the_rest_is_cleaned() {
    use newsprep::{input, progress::Silent, run, settings::Settings};
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    for name in ["a", "b", "c"] {
        fs::write(raw.join(format!("{name}.txt")), article(name)).unwrap();
    }
    let settings = Settings::defaults(&raw, dir.path().join("cleaned"));
    let found = input::discover(&settings.input, &settings.read).unwrap();
    fs::remove_file(raw.join("b.txt")).unwrap();
    let stats = run::run_found(&settings, &Silent, found, &mut |_| {}).unwrap();
    assert_eq!((stats.documents.kept, stats.documents.error), (2, 1));
    let manifest = fs::read_to_string(dir.path().join("cleaned/manifest.csv")).unwrap();
    let rows: Vec<Vec<&str>> = manifest.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let status: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[6], r[11])).collect();
    assert_eq!(
        status,
        [
            ("a", "kept", ""),
            ("b", "error", "cannot read: the file was removed after the run found it"),
            ("c", "kept", "")
        ]
    );
}

/// One paragraph of 10 MB (a page whose text lost every line break) is kept whole: one
/// paragraph, its span the whole file, no word lost.
#[test]
fn a_ten_megabyte_paragraph_is_kept_whole() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    let sentence = article("wall");
    let sentence = sentence.split("\n\n").next().unwrap();
    let mut text = String::with_capacity(10 << 20);
    while text.len() < 10 << 20 {
        text.push_str(sentence);
        text.push(' ');
    }
    let text = text.trim_end().to_string();
    fs::write(raw.join("wall.txt"), &text).unwrap();
    let o = run(&raw, &dir.path().join("cleaned"), &["--format", "none"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(dir.path().join("cleaned/corpus.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(corpus.trim_end()).unwrap();
    assert_eq!(record["spans"], serde_json::json!([[0, text.len()]]));
    assert_eq!(record["removed"], serde_json::json!([]));
    assert_eq!(record["text"].as_str().unwrap().len(), text.len());
    assert_eq!(record["text"], text.as_str());
}

/// 100,000 tiny files: each gets its row, in path order, and the run finishes.
#[test]
fn a_hundred_thousand_tiny_files_each_get_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    const N: usize = 100_000;
    for i in 0..N {
        let sub = raw.join(format!("{:03}", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir_all(&sub).unwrap();
        }
        fs::write(sub.join(format!("{i:06}.txt")), format!("Note {i}.")).unwrap();
    }
    let o = run(&raw, &dir.path().join("cleaned"), &["--format", "none"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = fs::read_to_string(dir.path().join("cleaned/manifest.csv")).unwrap();
    let rows: Vec<&str> = manifest.lines().skip(1).collect();
    assert_eq!(rows.len(), N);
    for (i, row) in rows.iter().enumerate() {
        let id = format!("{:03}/{i:06},", i / 1000);
        assert!(row.starts_with(&id), "row {i}: {row}");
    }
    // "Note 7." alone is a headline: taken as the title, it leaves no body, and the row says so.
    for row in &rows {
        assert!(row.ends_with(",empty,0,1,,,all 1 paragraphs were metadata or boilerplate"), "{row}");
    }
}

/// A 200 MB file with no newline (a page dumped as one line) under the default 64 MiB limit is
/// refused by its size before it is read: an `error` row with both numbers, exit 1, and the
/// file beside it is cleaned.
#[test]
fn a_200_megabyte_file_with_no_newline_is_refused_by_its_size() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    let chunk = article("one line").replace('\n', " ").repeat(2000);
    let chunk = &chunk.as_bytes()[..1 << 20];
    let mut f = std::io::BufWriter::new(fs::File::create(raw.join("line.txt")).unwrap());
    for _ in 0..200 {
        f.write_all(chunk).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    fs::write(raw.join("small.txt"), article("small")).unwrap();
    let o = run(&raw, &dir.path().join("cleaned"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let message = "file is 209715200 bytes, over the limit of 67108864 (input.max-file-bytes)";
    assert!(String::from_utf8_lossy(&o.stderr).contains(message));
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(dir.path().join("cleaned/manifest.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let got: Vec<(&str, &str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[3], &r[6], &r[11])).collect();
    assert_eq!(got, [("line", "209715200", "error", message), ("small", &rows[1][3], "kept", "")]);
}
