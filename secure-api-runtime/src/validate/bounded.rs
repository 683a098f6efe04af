//! Size bounds: every string, list and map an [`Input`](super::Input) reads has one, so a client
//! cannot send a field of any size (a tag of 500,000 characters). `#[derive(Input)]` checks each
//! field at compile time against the traits here. (The compiler's messages quote this file; keep
//! it small and stable.)

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// A field type whose values cannot grow: numbers, `bool`, `char`, and input types whose own
/// fields are bounded (`#[derive(Input)]` implements it). A string, list or map is bounded by a
/// rule instead: `#[validate(length(max = N))]`.
///
/// A type of your own that cannot grow, such as an enum of names, implements it:
///
/// ```
/// #[derive(serde::Deserialize)]
/// enum Status { Draft, Published }
///
/// impl secure_api::validate::Bounded for Status {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no size bound",
    label = "a client could send this field at any size",
    note = "a string, list or map: bound it with `#[validate(length(max = N))]`",
    note = "the strings of a list: bound each one with `#[input(each(length(max = N)))]`",
    note = "a type of your own that cannot grow: `impl secure_api::validate::Bounded for MyType {{}}`; a field unbounded on purpose: `#[input(unbounded)]`"
)]
pub trait Bounded {}

macro_rules! bounded {
    ($($ty:ty),* $(,)?) => { $(impl Bounded for $ty {})* };
}

bounded!(
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    (),
    uuid::Uuid,
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
);

impl<T: Bounded> Bounded for Option<T> {}
impl<T: Bounded> Bounded for Box<T> {}

#[cfg(feature = "chrono")]
bounded!(chrono::NaiveDate, chrono::NaiveDateTime, chrono::NaiveTime);
#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> Bounded for chrono::DateTime<Tz> {}

/// A string, list or map whose length has a rule, and whose items are bounded themselves.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bounded by its length",
    label = "`length` bounds strings, lists and maps",
    note = "a field of this type needs no `length` rule if it implements `secure_api::validate::Bounded`"
)]
pub trait BoundedItems {}

impl BoundedItems for String {}
impl BoundedItems for Box<str> {}
impl<T: BoundedItems> BoundedItems for Option<T> {}
impl<T: Bounded> BoundedItems for Vec<T> {}
impl<T: Bounded> BoundedItems for VecDeque<T> {}
impl<T: Bounded, S> BoundedItems for HashSet<T, S> {}
impl<T: Bounded> BoundedItems for BTreeSet<T> {}
impl<K: Bounded, V: Bounded, S> BoundedItems for HashMap<K, V, S> {}
impl<K: Bounded, V: Bounded> BoundedItems for BTreeMap<K, V> {}

/// A list of strings, for `#[input(each(length(...)))]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of strings",
    label = "`each(length(...))` bounds the strings of a list",
    note = "use it on `Vec<String>` (or a `VecDeque`, `HashSet`, `BTreeSet` of strings, or an `Option` of one)"
)]
pub trait EachText {
    /// The strings, in order.
    fn texts(&self) -> impl Iterator<Item = &str>;
}

impl<T: EachText> EachText for Option<T> {
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.iter().flat_map(EachText::texts)
    }
}

macro_rules! each_text {
    ($($list:ident),*) => {$(
        impl<T: AsRef<str>> EachText for $list<T> {
            fn texts(&self) -> impl Iterator<Item = &str> {
                self.iter().map(AsRef::as_ref)
            }
        }
    )*};
}

each_text!(Vec, VecDeque, BTreeSet);

impl<T: AsRef<str>, S> EachText for HashSet<T, S> {
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.iter().map(AsRef::as_ref)
    }
}

/// The derive's check of a field without a `length` rule.
#[doc(hidden)]
pub const fn assert_bounded<T: Bounded + ?Sized>() {}

/// The derive's check of a field with a `length` rule.
#[doc(hidden)]
pub const fn assert_bounded_items<T: BoundedItems + ?Sized>() {}

/// The derive's check of a field with an `each(length(...))` rule.
#[doc(hidden)]
pub const fn assert_each_text<T: EachText + ?Sized>() {}
