//! The Rust anchors of `benches/eval_html.sh`: each reads every `<id>.html` of a folder and
//! writes what it extracts to `<id>.txt`, timing only the extraction, on one thread.
//!
//! usage: newsprep-anchors dom_smoothie|rs_trafilatura IN_DIR OUT_DIR
//! Prints `pages seconds` (seconds spent extracting, files read before timing).

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, tool, input, output] = &args[..] else {
        eprintln!("usage: newsprep-anchors dom_smoothie|rs_trafilatura IN_DIR OUT_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(output).expect("output folder");
    let mut names: Vec<_> = std::fs::read_dir(input)
        .expect("input folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html"))
        .collect();
    names.sort();
    let mut spent = Duration::ZERO;
    for name in &names {
        let bytes = std::fs::read(format!("{input}/{name}")).expect("page");
        let html = String::from_utf8_lossy(&bytes).into_owned();
        let start = Instant::now();
        let text = match tool.as_str() {
            "dom_smoothie" => {
                let cfg = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
                dom_smoothie::Readability::new(html, None, Some(cfg))
                    .and_then(|mut r| r.parse())
                    .map(|a| a.text_content.to_string())
                    .unwrap_or_default()
            }
            "rs_trafilatura" => rs_trafilatura::extract(&html).map(|r| r.content_text).unwrap_or_default(),
            other => panic!("unknown tool {other}"),
        };
        spent += start.elapsed();
        let stem = name.trim_end_matches(".html");
        std::fs::write(format!("{output}/{stem}.txt"), text).expect("write");
    }
    println!("{} {:.3}", names.len(), spent.as_secs_f64());
}
