// `sqlx::migrate!` embeds the migrations when the crate compiles; without this, adding one
// would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
