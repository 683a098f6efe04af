use secure_api::prelude::*;

#[secure(public)]
struct Health {
    ok: bool,
}

fn main() {}
