//! Rebuilds the server when anything in `web/` changes: the web client is embedded in
//! the binary (also in debug builds), and a new file must be picked up too.

fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
