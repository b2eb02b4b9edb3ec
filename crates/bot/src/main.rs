//! `cloudcourt-bot`: a headless hearing participant (skeleton; filled in by the bot work).

fn main() {}
