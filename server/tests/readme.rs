//! The README's settings table and the code agree: every setting has a row
//! with its flag and default, and every row is a setting.

use std::collections::BTreeMap;

use clap::CommandFactory;
use server::settings::Settings;

struct Row {
    flag: String,
    default: String,
}

fn readme_rows() -> BTreeMap<String, Row> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let table = readme.split("\n## Settings\n").nth(1).expect("a Settings section").split("\n## ").next().unwrap();
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            assert!(cells.len() >= 4, "a row of four cells: {l}");
            (
                cells[0].trim_matches('`').to_string(),
                Row { flag: cells[1].trim_matches('`').to_string(), default: cells[2].to_string() },
            )
        })
        .collect()
}

#[test]
fn the_readme_settings_table_matches_the_code() {
    let rows = readme_rows();
    let command = Settings::command();
    let mut in_code = Vec::new();
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let env = env.to_string_lossy().to_string();
        in_code.push(env.clone());
        let row = rows.get(&env).unwrap_or_else(|| panic!("{env} has no row in the README's settings table"));
        let long = arg.get_long().expect("every setting has a flag");
        assert_eq!(row.flag, format!("--{long}"), "{env}: flag");
        match arg.get_default_values().first().map(|d| d.to_string_lossy().to_string()) {
            Some(d) if d.is_empty() => {
                assert!(row.default.starts_with("empty"), "{env}: default is empty, README says {}", row.default)
            }
            Some(d) => {
                assert!(row.default.contains(&format!("`{d}`")), "{env}: default `{d}`, README says {}", row.default)
            }
            None => assert!(!row.default.is_empty(), "{env}: say what happens without it"),
        }
    }
    for env in rows.keys() {
        assert!(in_code.contains(env) || env.starts_with("LEPTOS_"), "README row {env} is not a setting");
    }
}
