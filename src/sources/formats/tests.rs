use std::fmt::Write;
use std::path::Path;

use proptest::prelude::*;

use super::{Format, parse};
use crate::diagnostic::Pos;
use crate::yaml::{Kind, Node};

/// A tree as a compact string: `{a: [1, "x"], b: ~}`, quoted scalars in quotes.
fn render(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node);
    out
}

fn write_node(out: &mut String, node: &Node) {
    match &node.kind {
        Kind::Null => out.push('~'),
        Kind::Scalar { text, quoted: true } => write!(out, "{text:?}").unwrap_or_default(),
        Kind::Scalar { text, .. } => out.push_str(text),
        Kind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_node(out, item);
            }
            out.push(']');
        }
        Kind::Map(pairs) => {
            out.push('{');
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_node(out, key);
                out.push_str(": ");
                write_node(out, value);
            }
            out.push('}');
        }
    }
}

fn docs(format: Format, text: &str) -> Vec<Node> {
    match parse(format, text, Path::new(file_name(format))) {
        Ok(docs) => docs,
        Err(problems) => panic!("{problems}"),
    }
}

fn doc(format: Format, text: &str) -> Node {
    let mut all = docs(format, text);
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn problems(format: Format, text: &str) -> String {
    match parse(format, text, Path::new(file_name(format))) {
        Ok(docs) => panic!("no problem: {docs:?}"),
        Err(problems) => problems.to_string(),
    }
}

fn file_name(format: Format) -> &'static str {
    match format {
        Format::Yaml => "values.yaml",
        Format::Json => "package.json",
        Format::Toml => "Cargo.toml",
        Format::Hcl => "prod.tfvars",
        Format::Env => ".env",
    }
}

/// The value at `path` (map keys, or list indexes as numbers).
fn at<'n>(node: &'n Node, path: &[&str]) -> &'n Node {
    path.iter().fold(node, |node, step| match &node.kind {
        Kind::Map(pairs) => match pairs.iter().find(|(k, _)| k.scalar() == Some(step)) {
            Some((_, v)) => v,
            None => panic!("no key {step} in {}", render(node)),
        },
        Kind::Seq(items) => &items[step.parse::<usize>().unwrap_or(usize::MAX)],
        _ => panic!("{step} in a scalar"),
    })
}

/// The key node of `name` in the map at `path`.
fn key_at<'n>(node: &'n Node, path: &[&str], name: &str) -> &'n Node {
    let Kind::Map(pairs) = &at(node, path).kind else {
        panic!("not a map")
    };
    match pairs.iter().find(|(k, _)| k.scalar() == Some(name)) {
        Some((k, _)) => k,
        None => panic!("no key {name}"),
    }
}

#[test]
fn formats_are_told_by_name() {
    let cases = [
        ("values.yaml", Some(Format::Yaml)),
        ("k8s/deploy.YML", Some(Format::Yaml)),
        ("package.json", Some(Format::Json)),
        ("Cargo.toml", Some(Format::Toml)),
        ("prod.tfvars", Some(Format::Hcl)),
        ("terragrunt.hcl", Some(Format::Hcl)),
        (".env", Some(Format::Env)),
        (".env.prod", Some(Format::Env)),
        ("config/prod.env", Some(Format::Env)),
        ("README.md", None),
        ("Makefile", None),
        (".envrc", None),
    ];
    for (name, format) in cases {
        assert_eq!(Format::of(Path::new(name)), format, "{name}");
    }
    assert_eq!(Format::Env.name(), ".env");
    assert_eq!(Format::Hcl.name(), "HCL");
}

const HELM_VALUES: &str = "\
# Default values for web.
replicaCount: 2
image:
  repository: nginx
  tag: \"1.27\"
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: 80
resources: {}
nodeSelector: ~
tolerations: []
";

#[test]
fn helm_values() {
    let node = doc(Format::Yaml, HELM_VALUES);
    assert_eq!(
        render(&node),
        "{replicaCount: 2, image: {repository: nginx, tag: \"1.27\", pullPolicy: IfNotPresent}, \
         service: {type: ClusterIP, port: 80}, resources: {}, nodeSelector: ~, tolerations: []}"
    );
    assert_eq!(at(&node, &["image", "tag"]).pos, Pos::new(5, 8));
}

#[test]
fn yaml_files_may_hold_several_documents() {
    let all = docs(Format::Yaml, "kind: Deployment\n---\nkind: Service\n---\n");
    let rendered: Vec<String> = all.iter().map(render).collect();
    assert_eq!(rendered, ["{kind: Deployment}", "{kind: Service}"]);
    assert!(docs(Format::Yaml, "# only a comment\n").is_empty());
}

const PACKAGE_JSON: &str = r#"{
  "name": "web-ui",
  "version": "1.10.0",
  "private": true,
  "engines": { "node": ">=20" },
  "scripts": {
    "build": "vite build",
    "test": "vitest --run"
  },
  "files": ["dist", "README.md"],
  "timeout": 1.10,
  "retries": 3,
  "homepage": null,
  "description": "Ünïcode \"quoted\" \u00e9"
}
"#;

#[test]
fn json_package() {
    let node = doc(Format::Json, PACKAGE_JSON);
    assert_eq!(
        render(&node),
        r#"{"name": "web-ui", "version": "1.10.0", "private": true, "engines": {"node": ">=20"}, "scripts": {"build": "vite build", "test": "vitest --run"}, "files": ["dist", "README.md"], "timeout": 1.10, "retries": 3, "homepage": ~, "description": "Ünïcode \"quoted\" é"}"#
    );
    assert_eq!(at(&node, &["engines", "node"]).pos, Pos::new(5, 24));
    assert_eq!(at(&node, &["files", "1"]).pos, Pos::new(10, 21));
    assert_eq!(key_at(&node, &["scripts"], "test").pos, Pos::new(8, 5));
    let timeout = at(&node, &["timeout"]);
    assert_eq!(&PACKAGE_JSON[timeout.span.clone()], "1.10");
}

#[test]
fn json_positions_count_characters_and_survive_crlf() {
    let text = "{\r\n  \"é\": \"ü\",\r\n  \"b\": [1,\r\n 2]\r\n}\r\n";
    let node = doc(Format::Json, text);
    assert_eq!(render(&node), r#"{"é": "ü", "b": [1, 2]}"#);
    assert_eq!(at(&node, &["é"]).pos, Pos::new(2, 8));
    assert_eq!(at(&node, &["b", "1"]).pos, Pos::new(4, 2));
    assert_eq!(&text[at(&node, &["é"]).span.clone()], "\"ü\"");
}

const CARGO_TOML: &str = r#"# The package.
[package]
name = "envbook"
version = "0.1.0"
edition = "2024"
metadata.docs.rs = { all-features = true }

[dependencies]
serde = { version = "1", features = ["derive"] }
toml = "1"

[install]
mode = 0o755
limit = 1_000
ratio = 1.50
released = 2026-11-28
debug = false

[[bin]]
name = "envbook"
path = "src/main.rs"

[[bin]]
name = "envbook-serve"
"#;

#[test]
fn toml_cargo() {
    let node = doc(Format::Toml, CARGO_TOML);
    assert_eq!(
        render(&node),
        "{package: {name: \"envbook\", version: \"0.1.0\", edition: \"2024\", \
         metadata: {docs: {rs: {all-features: true}}}}, \
         dependencies: {serde: {version: \"1\", features: [\"derive\"]}, toml: \"1\"}, \
         install: {mode: 0o755, limit: 1_000, ratio: 1.50, released: 2026-11-28, debug: false}, \
         bin: [{name: \"envbook\", path: \"src/main.rs\"}, {name: \"envbook-serve\"}]}"
    );
    assert_eq!(at(&node, &["install", "mode"]).pos, Pos::new(13, 8));
    assert_eq!(at(&node, &["bin", "1", "name"]).pos, Pos::new(24, 8));
    assert_eq!(key_at(&node, &["package"], "metadata").pos, Pos::new(6, 1));
    assert_eq!(
        key_at(&node, &["package", "metadata"], "docs").pos,
        Pos::new(6, 10)
    );
    assert_eq!(key_at(&node, &[], "install").pos, Pos::new(12, 2));
}

#[test]
fn toml_quoted_keys_and_crlf() {
    let text = "[\"sé rver\"]\r\n'port' = 8080\r\n\"a.b\" = 'x'\r\n";
    let node = doc(Format::Toml, text);
    assert_eq!(
        render(&node),
        "{\"sé rver\": {\"port\": 8080, \"a.b\": \"x\"}}"
    );
    assert_eq!(at(&node, &["sé rver", "a.b"]).pos, Pos::new(3, 9));
}

const PROD_TFVARS: &str = r#"# Production.
region         = "eu-west-1"
zone           = "${var.region}-a"
instance_count = 3
ratio          = 0.75
enabled        = true
owner          = null
cidrs          = ["10.0.0.0/16", "10.1.0.0/16"]
tags = {
  team    = "platform"
  "cost-center" = 42
}
bucket  = lower("Logs-${var.env}")
size    = var.big ? 10 : 2
policy  = <<EOT
allow ${var.user}
EOT
"#;

#[test]
fn hcl_tfvars() {
    let node = doc(Format::Hcl, PROD_TFVARS);
    assert_eq!(
        render(&node),
        "{region: \"eu-west-1\", zone: \"${var.region}-a\", instance_count: 3, ratio: 0.75, \
         enabled: true, owner: ~, cidrs: [\"10.0.0.0/16\", \"10.1.0.0/16\"], \
         tags: {team: \"platform\", \"cost-center\": 42}, bucket: lower(\"Logs-${var.env}\"), \
         size: var.big ? 10 : 2, policy: \"allow ${var.user}\\n\"}"
    );
    assert_eq!(at(&node, &["zone"]).pos, Pos::new(3, 18));
    assert_eq!(at(&node, &["cidrs", "1"]).pos, Pos::new(8, 34));
    assert_eq!(key_at(&node, &["tags"], "cost-center").pos, Pos::new(11, 3));
}

#[test]
fn hcl_blocks_nest_by_labels() {
    let text = r#"terraform {
  required_version = ">= 1.6"
}
provider "aws" {
  region = "eu-west-1"
}
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
resource "aws_s3_bucket" "data" {
  bucket = "data"
}
resource "aws_iam_role" "ci" {}
"#;
    let node = doc(Format::Hcl, text);
    assert_eq!(
        render(&node),
        "{terraform: {required_version: \">= 1.6\"}, provider: {\"aws\": {region: \"eu-west-1\"}}, \
         resource: {\"aws_s3_bucket\": {\"logs\": {bucket: \"logs\"}, \"data\": {bucket: \"data\"}}, \
         \"aws_iam_role\": {\"ci\": {}}}}"
    );
    assert_eq!(
        key_at(&node, &["resource", "aws_s3_bucket"], "data").pos,
        Pos::new(10, 26)
    );
}

#[test]
fn hcl_positions_count_characters_and_survive_crlf() {
    let text = "owner = \"Zoë\"\r\nzones = [\"ü\", \"é-${var.x}\"]\r\n";
    let node = doc(Format::Hcl, text);
    assert_eq!(
        render(&node),
        "{owner: \"Zoë\", zones: [\"ü\", \"é-${var.x}\"]}"
    );
    assert_eq!(at(&node, &["zones", "1"]).pos, Pos::new(2, 15));
    assert_eq!(&text[at(&node, &["owner"]).span.clone()], "\"Zoë\"");
}

const DOTENV: &str = "\
# Local settings.
export DATABASE_URL=postgres://db:5432/app
API_KEY='s3cr#t $HOME'
GREETING=\"Hello\\n\\\"world\\\" \\$5\" # a comment
PORT = 8080   # the port
EMPTY=
HASH=#not-a-comment
  log.level=debug
";

#[test]
fn dotenv_sample() {
    let node = doc(Format::Env, DOTENV);
    assert_eq!(
        render(&node),
        "{DATABASE_URL: postgres://db:5432/app, API_KEY: \"s3cr#t $HOME\", \
         GREETING: \"Hello\\n\\\"world\\\" $5\", PORT: 8080, EMPTY: , HASH: #not-a-comment, \
         log.level: debug}"
    );
    assert_eq!(at(&node, &["DATABASE_URL"]).pos, Pos::new(2, 21));
    assert_eq!(at(&node, &["PORT"]).pos, Pos::new(5, 8));
    assert_eq!(key_at(&node, &[], "log.level").pos, Pos::new(8, 3));
    assert_eq!(
        &DOTENV[at(&node, &["API_KEY"]).span.clone()],
        "'s3cr#t $HOME'"
    );
}

#[test]
fn dotenv_crlf_and_non_ascii() {
    let node = doc(Format::Env, "NAME=Zoë\r\nCITY='Zürich'\r\n");
    assert_eq!(render(&node), "{NAME: Zoë, CITY: \"Zürich\"}");
    assert_eq!(at(&node, &["CITY"]).pos, Pos::new(2, 6));
    assert_eq!(at(&node, &["NAME"]).span, 5..9);
}

#[test]
fn empty_files_are_one_empty_map() {
    for format in [Format::Json, Format::Toml, Format::Hcl, Format::Env] {
        for text in ["", "\n", comment(format)] {
            assert_eq!(render(&doc(format, text)), "{}", "{format:?} {text:?}");
        }
    }
}

fn comment(format: Format) -> &'static str {
    match format {
        Format::Json => "// nothing yet\n",
        _ => "# nothing yet\n",
    }
}

#[test]
fn duplicate_keys_json() {
    assert_eq!(
        problems(
            Format::Json,
            "{\n  \"a\": 1,\n  \"b\": {\"c\": 1, \"c\": 2},\n  \"a\": 3\n}\n"
        ),
        "error: duplicate key `c`\n --> package.json:3:17\n  |\n3 |   \"b\": {\"c\": 1, \"c\": 2},\n  |                 ^^^\n  = help: it is already set on line 3; only one of them can count, so remove one\n\n\
         error: duplicate key `a`\n --> package.json:4:3\n  |\n4 |   \"a\": 3\n  |   ^^^\n  = help: it is already set on line 2; only one of them can count, so remove one\n"
    );
}

#[test]
fn duplicate_keys_toml() {
    assert_eq!(
        problems(Format::Toml, "[server]\nport = 1\nhost = \"a\"\nport = 2\n"),
        "error: duplicate key `port`\n --> Cargo.toml:4:1\n  |\n4 | port = 2\n  | ^^^^\n  = help: it is already set on line 2; only one of them can count, so remove one\n"
    );
    assert_eq!(
        problems(Format::Toml, "[a]\nx = 1\n[b]\ny = 1\n[a]\nz = 1\n"),
        "error: duplicate key `a`\n --> Cargo.toml:5:2\n  |\n5 | [a]\n  |  ^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
}

#[test]
fn duplicate_keys_hcl() {
    assert_eq!(
        problems(
            Format::Hcl,
            "region = \"a\"\nzone = \"b\"\nregion = \"c\"\n"
        ),
        "error: duplicate key `region`\n --> prod.tfvars:3:1\n  |\n3 | region = \"c\"\n  | ^^^^^^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
    assert_eq!(
        problems(
            Format::Hcl,
            "resource \"a\" \"x\" {}\nresource \"a\" \"x\" {}\n"
        ),
        "error: duplicate key `x`\n --> prod.tfvars:2:14\n  |\n2 | resource \"a\" \"x\" {}\n  |              ^^^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
    assert_eq!(
        problems(Format::Hcl, "tags = { a = 1, \"a\" = 2 }\n"),
        "error: duplicate key `a`\n --> prod.tfvars:1:17\n  |\n1 | tags = { a = 1, \"a\" = 2 }\n  |                 ^^^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
}

#[test]
fn duplicate_keys_dotenv() {
    assert_eq!(
        problems(Format::Env, "A=1\nB=2\nexport A=3\n"),
        "error: duplicate key `A`\n --> .env:3:8\n  |\n3 | export A=3\n  |        ^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
}

#[test]
fn syntax_errors_json() {
    assert_eq!(
        problems(Format::Json, "{\n  \"a\": 1,\n}\n"),
        "error: invalid JSON: trailing commas are not allowed\n --> package.json:2:9\n  |\n2 |   \"a\": 1,\n  |         ^\n"
    );
    assert_eq!(
        problems(Format::Json, "{\"a\": tru}"),
        "error: invalid JSON: unexpected token\n --> package.json:1:7\n  |\n1 | {\"a\": tru}\n  |       ^^^\n"
    );
}

#[test]
fn syntax_errors_toml() {
    assert_eq!(
        problems(Format::Toml, "[package]\nname = \"x\nversion = 1\n"),
        "error: invalid TOML: invalid basic string, expected `\"`\n --> Cargo.toml:2:10\n  |\n2 | name = \"x\n  |          ^\n"
    );
}

#[test]
fn syntax_errors_hcl() {
    assert_eq!(
        problems(Format::Hcl, "region = \"eu\"\nzone = \n"),
        "error: invalid HCL: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit\n --> prod.tfvars:2:8\n  |\n2 | zone = \n  |        ^\n"
    );
}

#[test]
fn syntax_errors_dotenv() {
    assert_eq!(
        problems(
            Format::Env,
            "A=1\njust words\n9LIVES=x\nB='open\nC=\"x\" y\n"
        ),
        "error: invalid .env line: expected `KEY=value`\n --> .env:2:1\n  |\n2 | just words\n  | ^^^^^^^^^^\n\n\
         error: invalid .env line: `9LIVES` is not a valid key\n --> .env:3:1\n  |\n3 | 9LIVES=x\n  | ^^^^^^\n  = help: a key is letters, digits, `_`, `.` and `-`, and does not start with a digit\n\n\
         error: invalid .env line: the quote `'` is not closed on this line\n --> .env:4:3\n  |\n4 | B='open\n  |   ^\n\n\
         error: invalid .env line: unexpected text after the closing quote\n --> .env:5:7\n  |\n5 | C=\"x\" y\n  |       ^\n"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    for (format, text) in [
        (Format::Json, deep.clone()),
        (Format::Toml, format!("a = {deep}")),
        (Format::Hcl, format!("a = {deep}")),
    ] {
        let problems = problems(format, &text);
        assert!(problems.starts_with("error: "), "{format:?}: {problems}");
    }
    assert_eq!(
        problems(Format::Json, &deep).lines().next(),
        Some("error: this JSON is nested more than 64 levels deep")
    );
    assert_eq!(
        problems(Format::Toml, &format!("a = {deep}"))
            .lines()
            .next(),
        Some("error: this TOML is nested more than 64 levels deep")
    );
    assert_eq!(
        problems(Format::Hcl, &format!("a = {deep}")).lines().next(),
        Some("error: this HCL is nested more than 64 levels deep")
    );
}

#[test]
fn duplicate_keys_found_by_the_toml_and_hcl_parsers() {
    assert_eq!(
        problems(Format::Toml, "a.b = 1\nc = 2\na.b = 3\n"),
        "error: duplicate key `b`\n --> Cargo.toml:3:3\n  |\n3 | a.b = 3\n  |   ^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
    assert_eq!(
        problems(Format::Hcl, "a = {\n  b = 1\n  b = 2\n}\n"),
        "error: duplicate key `b`\n --> prod.tfvars:3:3\n  |\n3 |   b = 2\n  |   ^\n  = help: it is already set on line 2; only one of them can count, so remove one\n"
    );
    assert_eq!(
        problems(Format::Hcl, "a = 1\na {}\n"),
        "error: duplicate key `a`\n --> prod.tfvars:2:1\n  |\n2 | a {}\n  | ^\n  = help: it is already set on line 1; only one of them can count, so remove one\n"
    );
}

#[test]
fn nesting_within_the_limit_is_read() {
    let json = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert_eq!(docs(Format::Json, &json).len(), 1);
    let json = format!("{}{}", "[".repeat(65), "]".repeat(65));
    assert!(problems(Format::Json, &json).contains("nested more than 64"));
    // Brackets in strings and comments are no nesting.
    let text = format!(
        "{{\"a\": \"{}\" /* {} */}}",
        "[".repeat(100),
        "{".repeat(100)
    );
    assert_eq!(render(&doc(Format::Json, &text)).len(), 109);
    let text = format!(
        "a = '''{}'''\nb = \"{}\" # {}\n",
        "[".repeat(100),
        "{".repeat(100),
        "[".repeat(100)
    );
    assert_eq!(docs(Format::Toml, &text).len(), 1);
}

#[test]
fn too_many_values_is_an_error() {
    let json = format!("[{}1]", "1,".repeat(250_000));
    assert_eq!(
        problems(Format::Json, &json).lines().next(),
        Some("error: this JSON is too large: more than 250000 values")
    );
}

fn all_formats() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::Yaml),
        Just(Format::Json),
        Just(Format::Toml),
        Just(Format::Hcl),
        Just(Format::Env),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics(format in all_formats(), text in "\\PC*") {
        let _ = parse(format, &text, Path::new("f"));
    }

    #[test]
    fn parse_never_panics_on_syntax_characters(
        format in all_formats(),
        text in "[\\[\\]{}()\"'#=:,.\\\\$\\n\\r a-z0-9é-]{0,80}",
    ) {
        let _ = parse(format, &text, Path::new("f"));
    }

    #[test]
    fn deep_brackets_never_crash(
        format in all_formats(),
        open in prop::sample::select(vec!["[", "{", "(", "[{", "${"]),
        depth in 60usize..3000,
    ) {
        let text = format!("a = {}", open.repeat(depth));
        let _ = parse(format, &text, Path::new("f"));
        let text = format!("{{\"a\": {}", open.repeat(depth));
        let _ = parse(format, &text, Path::new("f"));
    }
}

/// A minified file is one long line: positions found out of order would
/// count it again for every collection (minutes, not milliseconds).
#[test]
fn a_minified_file_is_read_in_one_pass() {
    let items = vec![r#"{"name":"é","tags":[1,2]}"#; 30_000].join(",");
    let node = doc(Format::Json, &format!("[{items}]"));
    // Each item is 25 characters and a comma; its second tag is its 23rd.
    assert_eq!(
        at(&node, &["29999", "tags", "1"]).pos.col,
        2 + 29_999 * 26 + 22
    );
}
