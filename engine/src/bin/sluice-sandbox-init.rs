//! The helper every sandboxed command starts through; see `engine::sandbox::init`.
fn main() {
    engine::sandbox::init::main()
}
