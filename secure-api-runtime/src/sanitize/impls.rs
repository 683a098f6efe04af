//! [`Sanitized`] for the standard types a view is built from.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use super::{Sanitized, SanitizedToken};

/// The body of every implementation here.
macro_rules! by_derive {
    () => {
        fn __sanitized_by_derive(_: SanitizedToken) {}
    };
}

macro_rules! sanitized {
    ($($ty:ty),+ $(,)?) => { $(impl Sanitized for $ty { by_derive!(); })+ };
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

macro_rules! sanitized_containers {
    ($(impl<$($param:ident $(: $bound:path)?),+> for $ty:ty $(where $($where:tt)+)?;)+) => {
        $(
            impl<$($param: Sanitized $(+ $bound)?),+> Sanitized for $ty $(where $($where)+)? {
                by_derive!();
            }
        )+
    };
}

sanitized_containers! {
    impl<T> for Option<T>;
    impl<T> for Vec<T>;
    impl<T> for VecDeque<T>;
    impl<T: Ord> for BTreeSet<T>;
    impl<K: Ord, V> for BTreeMap<K, V>;
}

impl<T: Sanitized + ?Sized> Sanitized for &T {
    by_derive!();
}
impl<T: Sanitized + ?Sized> Sanitized for &mut T {
    by_derive!();
}
impl<T: Sanitized + ?Sized> Sanitized for Box<T> {
    by_derive!();
}
impl<T: Sanitized> Sanitized for [T] {
    by_derive!();
}
impl<T: Sanitized + ToOwned + ?Sized> Sanitized for Cow<'_, T>
where
    T::Owned: std::fmt::Debug,
{
    by_derive!();
}
impl<T: Sanitized + Eq + Hash, H: BuildHasher> Sanitized for HashSet<T, H> {
    by_derive!();
}
impl<K: Sanitized + Eq + Hash, V: Sanitized, H: BuildHasher> Sanitized for HashMap<K, V, H> {
    by_derive!();
}

macro_rules! sanitized_tuples {
    ($(($($name:ident),+)),+) => {
        $(impl<$($name: Sanitized),+> Sanitized for ($($name,)+) { by_derive!(); })+
    };
}

sanitized_tuples!((A), (A, B), (A, B, C), (A, B, C, D));

#[cfg(feature = "chrono")]
mod chrono_types {
    use super::{Sanitized, SanitizedToken};

    impl<Tz: chrono::TimeZone> Sanitized for chrono::DateTime<Tz>
    where
        Self: serde::Serialize,
    {
        by_derive!();
    }

    sanitized!(chrono::NaiveDate, chrono::NaiveDateTime, chrono::NaiveTime);
}
