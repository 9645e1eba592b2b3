//! The administrative commands: staff accounts and the working-day calendar.

mod support;

use grassroots_store::crypto::DataKey;
use grassroots_store::{SqlStore, Store, StoreOptions};
use support::grassroots;

async fn open(dir: &std::path::Path) -> SqlStore {
    let key = DataKey::load_or_create(None, dir).unwrap();
    let url = format!("sqlite://{}", dir.join("grassroots.db").display());
    SqlStore::open(StoreOptions { url, key, max_connections: 1 }).await.unwrap()
}

#[tokio::test]
async fn user_add_creates_an_account_with_its_role_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let add = |args: &[&str]| grassroots(dir.path()).args(["user", "add"]).args(args).output().unwrap();
    let ok = add(&[
        "--username",
        "wang",
        "--role",
        "handler",
        "--scope",
        "unit:110101-water-utility",
        "--password",
        "s3cret-pass",
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    let bad_role = add(&["--username", "li", "--role", "mayor", "--scope", "all", "--password", "s3cret-pass"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));
    let misfit =
        add(&["--username", "li", "--role", "handler", "--scope", "region:110101", "--password", "s3cret-pass"]);
    assert!(!misfit.status.success());
    assert!(String::from_utf8_lossy(&misfit.stderr).contains("does not fit"));
    let short = add(&["--username", "li", "--role", "admin", "--scope", "all", "--password", "short"]);
    assert!(!short.status.success());

    let store = open(dir.path()).await;
    let wang = store.user_by_username("wang").await.unwrap().expect("created");
    assert_eq!(wang.user.role, grassroots_domain::Role::Handler);
    assert_eq!(wang.user.scope.to_spec(), "unit:110101-water-utility");
    assert!(grassroots_store::auth::verify_password("s3cret-pass", &wang.password_hash));
    assert!(store.user_by_username("li").await.unwrap().is_none(), "refused accounts are not created");
}

#[tokio::test]
async fn calendar_import_replaces_the_working_day_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.csv");
    std::fs::write(&file, "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-09,workday,调休\n").unwrap();
    let out = grassroots(dir.path()).args(["calendar", "import"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let calendar = open(dir.path()).await.reference().await.unwrap().calendar;
    let day = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(!calendar.is_working_day(day("2027-01-01")), "a Friday holiday");
    assert!(calendar.is_working_day(day("2027-01-09")), "a Saturday worked");

    std::fs::write(&file, "date,kind,name\n2027-13-01,holiday,bad\n").unwrap();
    let bad = grassroots(dir.path()).args(["calendar", "import"]).arg(&file).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&bad.stderr));
    let calendar = open(dir.path()).await.reference().await.unwrap().calendar;
    assert!(!calendar.is_working_day(day("2027-01-01")), "a refused file changes nothing");
}

#[tokio::test]
async fn import_regions_updates_in_place_and_refuses_a_bad_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regions.csv");
    let import = || grassroots(dir.path()).args(["import", "regions"]).arg(&file).output().unwrap();
    std::fs::write(
        &file,
        "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门街道,township,110101\n",
    )
    .unwrap();
    let first = import();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("2 added or changed"));
    std::fs::write(
        &file,
        "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门新街道,township,110101\n",
    )
    .unwrap();
    let again = import();
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("1 added or changed (1 renamed"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    std::fs::write(&file, "code,name,level,parent_code\n110101002,景山街道,township,110101\n11010x,坏,county,1101\n")
        .unwrap();
    let bad = import();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 3"), "{}", String::from_utf8_lossy(&bad.stderr));
    let store = open(dir.path()).await;
    let codes: Vec<String> = store.regions().await.unwrap().iter().map(|r| r.code.as_str().to_string()).collect();
    assert_eq!(codes, vec!["110101", "110101001"], "nothing of the bad file was written");
    assert_eq!(store.region_names("110101001").await.unwrap().len(), 1);
}
