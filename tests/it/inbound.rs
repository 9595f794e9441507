//! `envbook check --inbound`: links into the site from runbooks and alert
//! rules elsewhere, each checked against this build.

use crate::support::{Site, run_in};

#[test]
fn links_from_runbooks_and_alert_rules_resolve_or_are_named_at_their_place() {
    let root = Site::fixture("inbound");
    let site = root.path("site");
    let run = run_in(&site, &["check", "--inbound", "../runbooks"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "\
error: /runbooks/database/ has no anchor `#restore-a-backup`
 --> ../runbooks/README.md:4:13
  |
4 | - [Restore](https://docs.example.com/platform/runbooks/database/#restore-a-backup).
  |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `restore`?

error: /runbooks/redis/ is no page of the site
 --> ../runbooks/README.md:6:27
  |
6 | - Gone without an alias: <https://docs.example.com/platform/runbooks/redis/>
  |                           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `/runbooks/`?

error: /runbooks/cache/ has no anchor `#flsh`
  --> ../runbooks/alerts/postgres.rules.yaml:12:24
   |
12 |           runbook_url: https://docs.example.com/platform/runbooks/cache/#flsh
   |                        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: did you mean `flush`?

error: 3 problems found
"
    );
    // Mended: a heading id for the old anchor, an alias for the moved page.
    root.write(
        "runbooks/README.md",
        &root
            .read("runbooks/README.md")
            .replace("#restore-a-backup", "#restore"),
    );
    root.write(
        "site/content/runbooks/cache.md",
        "---\naliases: [\"runbooks/redis/\"]\n---\n# Cache\n\n## Flush\n\nRarely.\n",
    );
    root.write(
        "runbooks/alerts/postgres.rules.yaml",
        &root
            .read("runbooks/alerts/postgres.rules.yaml")
            .replace("#flsh", "#flush"),
    );
    let run = run_in(&site, &["check", "--inbound", "../runbooks"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            0,
            ".: 4 pages, 6 links into it from ../runbooks, no problems found\n",
            ""
        )
    );
    // A site whose base URL is only a path: no URL to look for.
    let run = run_in(
        &site,
        &[
            "check",
            "--inbound",
            "../runbooks",
            "--base-url",
            "/platform/",
        ],
    );
    assert_eq!(
        run.stderr,
        "error: `--inbound` looks for links under the site's full URL, and base-url is `/platform/`: set base-url = \"https://…/\" in book.toml, or give --base-url\n"
    );
}
