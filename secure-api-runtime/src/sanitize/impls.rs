//! [`Sanitized`] for the standard types a view is built from.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

use super::Sanitized;

macro_rules! sanitized {
    ($($ty:ty),+ $(,)?) => { $(impl Sanitized for $ty {})+ };
}

sanitized!(
    bool,
    char,
    str,
    String,
    (),
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
    std::time::Duration,
    std::time::SystemTime,
    uuid::Uuid,
);

impl<T: Sanitized + ?Sized> Sanitized for &T {}
impl<T: Sanitized + ?Sized> Sanitized for &mut T {}
impl<T: Sanitized + ?Sized> Sanitized for Box<T> {}
impl<T: Sanitized + ToOwned + ?Sized> Sanitized for Cow<'_, T> where T::Owned: std::fmt::Debug {}
impl<T: Sanitized> Sanitized for Option<T> {}
impl<T: Sanitized> Sanitized for [T] {}
impl<T: Sanitized> Sanitized for Vec<T> {}
impl<T: Sanitized> Sanitized for VecDeque<T> {}
impl<T: Sanitized + Ord> Sanitized for BTreeSet<T> {}
impl<T: Sanitized + Eq + std::hash::Hash, H: BuildHasher> Sanitized for HashSet<T, H> {}
impl<K: Sanitized + Ord, V: Sanitized> Sanitized for BTreeMap<K, V> {}
impl<K: Sanitized + Eq + std::hash::Hash, V: Sanitized, H: BuildHasher> Sanitized
    for HashMap<K, V, H>
{
}

macro_rules! sanitized_tuples {
    ($(($($name:ident),+)),+) => { $(impl<$($name: Sanitized),+> Sanitized for ($($name,)+) {})+ };
}

sanitized_tuples!((A), (A, B), (A, B, C), (A, B, C, D));

#[cfg(feature = "chrono")]
mod chrono_types {
    use super::Sanitized;

    impl<Tz: chrono::TimeZone> Sanitized for chrono::DateTime<Tz> where Self: serde::Serialize {}
    impl Sanitized for chrono::NaiveDate {}
    impl Sanitized for chrono::NaiveDateTime {}
    impl Sanitized for chrono::NaiveTime {}
}
