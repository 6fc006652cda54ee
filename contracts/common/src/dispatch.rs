//! The contracts' entry point: selector dispatch and ABI words without
//! per-signature code.
//!
//! The SDK's `#[public]` router decodes and encodes each function through
//! alloy's generic `SolType` code, and every signature instantiates its own
//! copy: 0.5-1 KB compressed per public function (measured), which put four
//! of the five contracts over the 24,576-byte limit. Every Bulwark function
//! takes and returns static words and arrays of words, so one small decoder
//! ([`Args`]) and one encoder ([`Output`]) serve them all, and
//! [`dispatch!`](crate::dispatch!) writes the match from a table of
//! Solidity signatures.
//!
//! `#[public]` stays on every contract: it is what `export-abi` prints into
//! `abi/`, and what motsu routes through in native tests. The WASM build uses
//! this dispatcher instead. Each contract's test checks that its table lists
//! exactly the functions of its exported interface (see
//! [`table_mismatch`]), and the cross-contract suite calls every function
//! through the real artifacts with alloy-encoded calldata.
//!
//! Decoding is strict, as alloy's with validation: calldata shorter than the
//! arguments, an address or a `uintN` with high bits set, a `bool` other
//! than 0 or 1, or an array running past the calldata reverts with empty
//! data, like an unknown selector or value sent to a function (none is
//! payable). Nothing in here panics on any input.

use alloc::{format, string::String, vec::Vec};

use alloy_primitives::{Address, B256, I256, U256};

use crate::evm;

/// Result of a contract call: return data, or revert data.
pub type CallResult = Result<Vec<u8>, Vec<u8>>;

/// The 4-byte selector of a Solidity signature such as `"transfer(address,uint256)"`.
#[must_use]
pub const fn selector(signature: &str) -> u32 {
    let hash = keccak_const::Keccak256::new().update(signature.as_bytes()).finalize();
    u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]])
}

/// Arguments (or return data) being read word by word, in order.
pub struct Args<'a> {
    data: &'a [u8],
    /// Byte offset of the next head word.
    head: usize,
}

impl<'a> Args<'a> {
    /// Reads ABI-encoded values from `data` (calldata without its selector,
    /// or a call's return data).
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, head: 0 }
    }

    /// Splits calldata into its selector and arguments; `None` when it is
    /// shorter than a selector.
    #[must_use]
    pub fn calldata(input: &'a [u8]) -> Option<(u32, Self)> {
        let (selector, rest) = input.split_first_chunk::<4>()?;
        Some((u32::from_be_bytes(*selector), Self::new(rest)))
    }

    /// The next value; `Err(empty)` when it is missing or invalid.
    pub fn read<T: Decode>(&mut self) -> Result<T, Vec<u8>> {
        read_next(self.data, &mut self.head).ok_or_else(Vec::new)
    }

    /// The word at byte offset `at`.
    fn word(data: &[u8], at: usize) -> Option<&[u8; 32]> {
        data.get(at..at.checked_add(32)?)?.first_chunk::<32>()
    }
}

/// The value whose head starts at byte `*head` of `data`; on success moves
/// `*head` past it (the cursor of [`Args`] and of a call's reply).
pub(crate) fn read_next<T: Decode>(data: &[u8], head: &mut usize) -> Option<T> {
    let value = T::decode(data, *head)?;
    *head += T::HEAD_WORDS * 32;
    Some(value)
}

/// A value the ABI encodes in the head (one word, or a fixed array of
/// words) or as an offset to a dynamic array of words.
pub trait Decode: Sized {
    /// Words the value takes in the head.
    const HEAD_WORDS: usize = 1;

    /// Reads the value whose head starts at byte `at` of `data`.
    fn decode(data: &[u8], at: usize) -> Option<Self>;
}

/// A value that is exactly one ABI word.
pub trait Word: Sized {
    /// The value of a word, `None` if the word is not a valid encoding.
    fn from_abi(word: &[u8; 32]) -> Option<Self>;

    /// The value as a word.
    fn to_abi(&self) -> [u8; 32];
}

impl<T: Word> Decode for T {
    fn decode(data: &[u8], at: usize) -> Option<Self> {
        T::from_abi(Args::word(data, at)?)
    }
}

impl Word for U256 {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        Some(U256::from_be_bytes(*word))
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::uint256(*self)
    }
}

impl Word for I256 {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        Some(I256::from_raw(U256::from_be_bytes(*word)))
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::int256(*self)
    }
}

impl Word for B256 {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        Some(B256::from(*word))
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::bytes32(*self)
    }
}

impl Word for Address {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        let (high, low) = word.split_at(12);
        high.iter().all(|b| *b == 0).then(|| Address::from_slice(low))
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::address(*self)
    }
}

/// The low 128 bits of a word whose bits at and above `bits` are zero.
fn unsigned(word: &[u8; 32], bits: u32) -> Option<u128> {
    let (high, low) = word.split_at(16);
    let value = u128::from_be_bytes(low.try_into().ok()?);
    let fits = bits >= 128 || value >> bits == 0;
    (high.iter().all(|b| *b == 0) && fits).then_some(value)
}

macro_rules! unsigned_words {
    ($($ty:ty),*) => {$(
        impl Word for $ty {
            fn from_abi(word: &[u8; 32]) -> Option<Self> {
                <$ty>::try_from(unsigned(word, <$ty>::BITS)?).ok()
            }

            fn to_abi(&self) -> [u8; 32] {
                evm::uint(u128::from(*self))
            }
        }
    )*};
}
unsigned_words!(u8, u16, u32, u64, u128);

impl Word for bool {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        match unsigned(word, 1)? {
            0 => Some(false),
            _ => Some(true),
        }
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::boolean(*self)
    }
}

/// `uint80`, the round id of Chainlink feeds.
impl Word for alloy_primitives::aliases::U80 {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        unsigned(word, 80).map(Self::from)
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::uint256(U256::from(*self))
    }
}

/// `uint96`, a subaccount number.
impl Word for alloy_primitives::aliases::U96 {
    fn from_abi(word: &[u8; 32]) -> Option<Self> {
        unsigned(word, 96).map(Self::from)
    }

    fn to_abi(&self) -> [u8; 32] {
        evm::uint256(U256::from(*self))
    }
}

/// A fixed array `T[N]`: `N` words in the head.
impl<T: Word, const N: usize> Decode for [T; N] {
    const HEAD_WORDS: usize = N;

    fn decode(data: &[u8], at: usize) -> Option<Self> {
        let mut values = Vec::with_capacity(N);
        for i in 0..N {
            values.push(T::decode(data, at.checked_add(i.checked_mul(32)?)?)?);
        }
        values.try_into().ok()
    }
}

/// A dynamic array `T[]`: its offset in the head, its length and words in
/// the tail.
impl<T: Word> Decode for Vec<T> {
    fn decode(data: &[u8], at: usize) -> Option<Self> {
        let start = usize::try_from(unsigned(Args::word(data, at)?, 32)?).ok()?;
        let len = usize::try_from(unsigned(Args::word(data, start)?, 32)?).ok()?;
        let first = start.checked_add(32)?;
        // Bound the length by the data before allocating for it.
        if len > (data.len().saturating_sub(first)) / 32 {
            return None;
        }
        (0..len).map(|i| T::decode(data, first + 32 * i)).collect()
    }
}

/// A function's return values, ABI-encoded.
pub trait Encode {
    /// Writes the values: static words in the head, arrays after it.
    fn encode(&self, out: &mut Encoder);

    /// Number of head words.
    const HEAD_WORDS: usize;
}

/// Builds return data: a head of words, then the tail of dynamic arrays.
pub struct Encoder {
    head: Vec<u8>,
    tail: Vec<u8>,
    head_len: usize,
}

impl Encoder {
    fn new(head_words: usize) -> Self {
        Self {
            head: Vec::with_capacity(32 * head_words),
            tail: Vec::new(),
            head_len: 32 * head_words,
        }
    }

    fn word(&mut self, word: &[u8; 32]) {
        self.head.extend_from_slice(word);
    }

    fn array<T: Word>(&mut self, values: &[T]) {
        // Lengths are bounded by memory, far below 2^128.
        self.word(&evm::uint((self.head_len + self.tail.len()) as u128));
        self.tail.extend_from_slice(&evm::uint(values.len() as u128));
        for value in values {
            self.tail.extend_from_slice(&value.to_abi());
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.head.append(&mut self.tail);
        self.head
    }
}

impl<T: Word> Encode for T {
    const HEAD_WORDS: usize = 1;

    fn encode(&self, out: &mut Encoder) {
        out.word(&self.to_abi());
    }
}

impl<T: Word> Encode for Vec<T> {
    const HEAD_WORDS: usize = 1;

    fn encode(&self, out: &mut Encoder) {
        out.array(self);
    }
}

impl Encode for () {
    const HEAD_WORDS: usize = 0;

    fn encode(&self, _: &mut Encoder) {}
}

macro_rules! tuples {
    ($(($($name:ident),+))*) => {$(
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            const HEAD_WORDS: usize = 0 $(+ $name::HEAD_WORDS)+;

            #[allow(non_snake_case)]
            fn encode(&self, out: &mut Encoder) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }
        }
    )*};
}
tuples! {
    (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F) (A, B, C, D, E, F, G)
}

/// ABI-encodes `values` as return data.
#[must_use]
pub fn encode<T: Encode>(values: &T) -> Vec<u8> {
    let mut out = Encoder::new(T::HEAD_WORDS);
    values.encode(&mut out);
    out.finish()
}

/// What a contract function returns: values, or values or revert data.
pub trait Output {
    /// The call's result.
    fn output(self) -> CallResult;
}

impl<T: Encode> Output for T {
    fn output(self) -> CallResult {
        Ok(encode(&self))
    }
}

impl<T: Encode, E: Into<Vec<u8>>> Output for Result<T, E> {
    fn output(self) -> CallResult {
        match self {
            Ok(values) => Ok(encode(&values)),
            Err(error) => Err(error.into()),
        }
    }
}

/// The canonical signature of a function declaration: from
/// `function transfer(address to, uint256 amount) external returns (bool);`
/// it returns `transfer(address,uint256)` (parameter types only, no data
/// locations), the text its selector is the hash of.
#[must_use]
pub fn canonical_signature(declaration: &str) -> String {
    let declaration = declaration.trim().trim_start_matches("function ");
    let (name, rest) = declaration.split_once('(').unwrap_or((declaration, ")"));
    let params = rest.split_once(')').map_or("", |(params, _)| params);
    let types: Vec<&str> =
        params.split(',').filter_map(|param| param.split_whitespace().next()).collect();
    format!("{name}({})", types.join(","))
}

/// The values a function declaration returns, as written between the
/// parentheses of `returns (...)` (type, location and name, if any); empty
/// when it returns nothing.
#[must_use]
pub fn return_values(declaration: &str) -> Vec<&str> {
    let Some((_, rest)) = declaration.split_once(" returns (") else {
        return Vec::new();
    };
    let inner = rest.rsplit_once(')').map_or(rest, |(inner, _)| inner);
    inner.split(',').map(str::trim).filter(|v| !v.is_empty()).collect()
}

/// `declaration` with its return values named `names` (in order), or
/// unchanged when the counts differ.
#[must_use]
pub fn name_returns(declaration: &str, names: &[&str]) -> String {
    let values = return_values(declaration);
    if values.len() != names.len() {
        return String::from(declaration);
    }
    let (head, _) = declaration.split_once(" returns (").unwrap_or((declaration, ""));
    let declared: Vec<String> = values
        .iter()
        .zip(names)
        .map(|(value, name)| {
            let unnamed = match value.split_whitespace().collect::<Vec<_>>().as_slice() {
                [ty, "memory" | "calldata", ..] => format!("{ty} memory"),
                [ty, ..] => String::from(*ty),
                [] => String::new(),
            };
            format!("{unnamed} {name}")
        })
        .collect();
    format!("{head} returns ({});", declared.join(", "))
}

/// Test helper: panics, naming them, unless every function `interface`
/// declares in `source` that returns two or more values names each of them.
#[cfg(not(target_arch = "wasm32"))]
pub fn assert_named_returns(source: &str, interface: &str) {
    let header = format!("interface {interface} ");
    let unnamed: Vec<String> = source
        .lines()
        .skip_while(|line| !line.starts_with(&header))
        .skip(1)
        .take_while(|line| !line.starts_with('}'))
        .filter_map(|line| line.trim().strip_prefix("function "))
        .filter(|declaration| {
            let values = return_values(declaration);
            values.len() > 1
                && values.iter().any(|v| {
                    let words: Vec<&str> = v.split_whitespace().collect();
                    !matches!(words.as_slice(), [_, name] | [_, _, name] if *name != "memory")
                })
        })
        .map(canonical_signature)
        .collect();
    assert!(unnamed.is_empty(), "{interface}: unnamed return values in {unnamed:?}");
}

/// The canonical signatures of the functions `interface` declares itself in
/// the Solidity `source` (an `abi/<Contract>.sol` file).
#[must_use]
pub fn interface_functions(source: &str, interface: &str) -> Vec<String> {
    let header = format!("interface {interface} ");
    source
        .lines()
        .skip_while(|line| !line.starts_with(&header))
        .skip(1)
        .take_while(|line| !line.starts_with('}'))
        .filter_map(|line| line.trim().strip_prefix("function "))
        .map(canonical_signature)
        .collect()
}

/// Compares a dispatch table with the functions `interface` declares in
/// `source`: the signatures only the table has, and those only the
/// interface has. Both empty means every exported function is dispatched
/// and nothing else is.
#[must_use]
pub fn table_mismatch(table: &[&str], source: &str, interface: &str) -> (Vec<String>, Vec<String>) {
    let exported = interface_functions(source, interface);
    let only_table = table
        .iter()
        .filter(|s| !exported.iter().any(|e| e == *s))
        .map(|s| String::from(*s))
        .collect();
    let only_exported = exported.into_iter().filter(|e| !table.contains(&e.as_str())).collect();
    (only_table, only_exported)
}

/// Test helper: panics, naming the differences, unless `table` dispatches
/// exactly the functions `interface` declares in `source`, and every one of
/// them that returns several values names them ([`assert_named_returns`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn assert_dispatches(table: &[&str], source: &str, interface: &str) {
    let (only_table, only_exported) = table_mismatch(table, source, interface);
    assert!(
        only_table.is_empty() && only_exported.is_empty(),
        "{interface}: dispatched but not exported {only_table:?}; exported but not dispatched {only_exported:?}"
    );
    assert_named_returns(source, interface);
}

/// Writes a contract's WASM entry point: value and re-entry checks, the
/// constructor, and a table of Solidity signatures, each dispatched to a
/// method with its arguments decoded in order; selectors not in the table go
/// to the inherited [`Roles`](crate::roles::Roles), or revert with no data
/// for a contract without state (no roles, no constructor). Also defines
/// `signatures()`, the table, for the test that compares it with the exported
/// interface, and `return_names()`: a function's `-> (names)` names the
/// values it returns in the exported interface, so that every client decodes
/// them by name.
///
/// ```ignore
/// bulwark_common::dispatch! {
///     RiskEngine, roles;
///     constructor(admin, vault, oracle);
///     "vault()" => vault();
///     "perpPosition(uint256,uint32)" => perp_position(account, market_id) -> (size, basis);
///     "setMarkets(address,address)" => set_markets(perp, options);
/// }
/// bulwark_common::dispatch! {
///     MarginEngine;
///     "liquidationPlan(uint256,address,address,address,uint256[])" => liquidation_plan(a, v, o, p, book);
/// }
/// ```
#[macro_export]
macro_rules! dispatch {
    (
        $contract:ident $(, $inherited:ident)?;
        $(constructor($($carg:ident),*);)?
        $($(#[$attr:meta])* $signature:literal => $method:ident($($arg:ident),*) $(-> ($($ret:ident),+))?;)*
    ) => {
        /// The Solidity signatures of this contract's own functions, as dispatched.
        pub fn signatures() -> alloc::vec::Vec<&'static str> {
            let mut table = alloc::vec::Vec::new();
            $($(#[$attr])* table.push($signature);)*
            table
        }

        /// The names of the values each function returns, by signature, as
        /// the exported interface declares them (`abi::print`).
        #[cfg(not(target_arch = "wasm32"))]
        pub fn return_names() -> alloc::vec::Vec<(&'static str, &'static [&'static str])> {
            #[allow(unused_mut)]
            let mut names: alloc::vec::Vec<(&'static str, &'static [&'static str])> =
                alloc::vec::Vec::new();
            $($(#[$attr])* {
                $(names.push(($signature, &[$(stringify!($ret)),+]));)?
            })*
            names
        }

        // SAFETY: the same statement `#[entrypoint]` makes for a struct: the
        // contract struct is the root of storage (slot 0), and the entry
        // point below creates the one instance that exists during a call.
        #[cfg(target_arch = "wasm32")]
        unsafe impl stylus_sdk::stylus_core::storage::TopLevelStorage for $contract {}

        #[cfg(target_arch = "wasm32")]
        #[stylus_sdk::prelude::entrypoint]
        #[allow(unreachable_code)]
        fn dispatch(
            input: alloc::vec::Vec<u8>,
            host: stylus_sdk::host::VM,
        ) -> $crate::dispatch::CallResult {
            #[allow(unused_imports)]
            use $crate::dispatch::Output as _;
            #[allow(unused_imports)]
            use stylus_sdk::stylus_core::host::{ConstructorGuard as _, HostAccess as _};
            // SAFETY: see `TopLevelStorage` above: slot 0, one instance.
            let mut storage = unsafe {
                <$contract as stylus_sdk::storage::StorageType>::new(
                    stylus_sdk::alloy_primitives::U256::ZERO,
                    0,
                    host,
                )
            };
            if !storage.vm().msg_value().is_zero() {
                return Err(alloc::vec::Vec::new());
            }
            let (selector, mut args) =
                $crate::dispatch::Args::calldata(&input).ok_or_else(alloc::vec::Vec::new)?;
            #[allow(unused_variables, unused_mut)]
            let args = &mut args;
            $(if selector == stylus_sdk::abi::CONSTRUCTOR_SELECTOR {
                storage.check_constructor_slot()?;
                return storage.constructor($({ let $carg = args.read()?; $carg }),*).output();
            })?
            $crate::dispatch_table!(storage, selector, args;
                $($(#[$attr])* $signature => $method($($arg),*);)*
            );
            $(return storage.$inherited.dispatch(selector, args);)?
            Err(alloc::vec::Vec::new())
        }
    };
}

/// The body of a dispatcher: for the signature whose selector is
/// `$selector`, returns the method's output with its arguments read from
/// `$args` in order; falls through when none matches.
#[macro_export]
macro_rules! dispatch_table {
    (
        $storage:expr, $selector:ident, $args:ident;
        $($(#[$attr:meta])* $signature:literal => $method:ident($($arg:ident),*);)*
    ) => {
        $(
            $(#[$attr])*
            if $selector == const { $crate::dispatch::selector($signature) } {
                return $crate::dispatch::Output::output(
                    $storage.$method($({ let $arg = $args.read()?; $arg }),*),
                );
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use alloy_primitives::aliases::U80;
    use alloy_sol_types::SolValue;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn selectors_are_keccak_prefixes() {
        assert_eq!(selector("transfer(address,uint256)"), 0xa905_9cbb);
        assert_eq!(selector("balanceOf(address)"), 0x70a0_8231);
    }

    type Sample = (U256, I256, Address, bool, u32, B256, U80);

    fn decode_all(data: &[u8]) -> Result<Sample, Vec<u8>> {
        let mut args = Args::new(data);
        Ok((
            args.read()?,
            args.read()?,
            args.read()?,
            args.read()?,
            args.read()?,
            args.read()?,
            args.read()?,
        ))
    }

    proptest! {
        #[test]
        fn static_words_round_trip_with_alloy(
            a in any::<[u8; 32]>(), b in any::<i128>(), c in any::<[u8; 20]>(), d in any::<bool>(),
            e in any::<u32>(), f in any::<[u8; 32]>(), g in any::<u64>(),
        ) {
            let values = (
                U256::from_be_bytes(a), I256::try_from(b).unwrap(), Address::from(c), d, e,
                B256::from(f), U80::from(g),
            );
            let alloy = values.abi_encode_params();
            prop_assert_eq!(decode_all(&alloy), Ok(values));
            prop_assert_eq!(encode(&values), alloy);
        }

        #[test]
        fn arrays_round_trip_with_alloy(
            head in any::<u64>(), xs in proptest::collection::vec(any::<[u8; 32]>(), 0..8),
            ys in proptest::collection::vec(any::<i64>(), 0..8), fixed in any::<[u64; 3]>(),
        ) {
            let xs: Vec<U256> = xs.into_iter().map(U256::from_be_bytes).collect();
            let ys: Vec<I256> = ys.into_iter().map(|y| I256::try_from(y).unwrap()).collect();
            let fixed = fixed.map(U256::from);
            let alloy = (head, xs.clone(), fixed, ys.clone()).abi_encode_params();
            let mut args = Args::new(&alloy);
            prop_assert_eq!(args.read::<u64>(), Ok(head));
            prop_assert_eq!(args.read::<Vec<U256>>(), Ok(xs.clone()));
            prop_assert_eq!(args.read::<[U256; 3]>(), Ok(fixed));
            prop_assert_eq!(args.read::<Vec<I256>>(), Ok(ys.clone()));
            let returned = (head, xs.clone(), ys.clone()).abi_encode_params();
            prop_assert_eq!(encode(&(head, xs, ys)), returned);
        }

        #[test]
        fn no_input_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_all(&data);
            let mut args = Args::new(&data);
            let _ = args.read::<Vec<U256>>();
            let _ = args.read::<[Address; 4]>();
            let _ = Args::calldata(&data);
        }

        #[test]
        fn out_of_range_words_are_refused(high in 1u8.., at in 0usize..12) {
            let mut word = [0u8; 32];
            word[at] = high;
            prop_assert!(Address::from_abi(&word).is_none());
            prop_assert!(u128::from_abi(&word).is_none());
            prop_assert!(bool::from_abi(&word).is_none());
        }
    }

    #[test]
    fn narrow_integers_and_bools_are_validated() {
        let word = evm::uint;
        assert_eq!(u8::from_abi(&word(255)), Some(255));
        assert_eq!(u8::from_abi(&word(256)), None);
        assert_eq!(u32::from_abi(&word(1 << 32)), None);
        assert_eq!(U80::from_abi(&word(1 << 80)), None);
        assert_eq!(bool::from_abi(&word(2)), None);
        assert_eq!(bool::from_abi(&word(1)), Some(true));
    }

    #[test]
    fn short_or_overlong_input_is_an_empty_revert() {
        assert_eq!(Args::new(&[0u8; 31]).read::<U256>(), Err(Vec::new()));
        assert!(Args::calldata(&[1, 2, 3]).is_none());
        // An array claiming more elements than the data holds.
        let mut data = evm::uint(32).to_vec();
        data.extend_from_slice(&evm::uint(1_000_000));
        assert_eq!(Args::new(&data).read::<Vec<U256>>(), Err(Vec::new()));
        // An offset pointing outside the data.
        let data = evm::uint(u128::from(u32::MAX)).to_vec();
        assert_eq!(Args::new(&data).read::<Vec<U256>>(), Err(Vec::new()));
    }

    #[test]
    fn returns_are_named_in_order_and_keep_their_types() {
        let printed = "    function perpPosition(uint256 account, uint32 market_id) external view returns (int256, int256);";
        assert_eq!(return_values(printed), ["int256", "int256"]);
        assert_eq!(
            name_returns(printed, &["size", "basis"]),
            "    function perpPosition(uint256 account, uint32 market_id) external view returns (int256 size, int256 basis);"
        );
        let array = "function f() external view returns (uint256[] memory, bool);";
        assert_eq!(
            name_returns(array, &["ids", "more"]),
            "function f() external view returns (uint256[] memory ids, bool more);"
        );
        // A count that does not match leaves the declaration as it is.
        assert_eq!(name_returns(array, &["ids"]), array);
        assert!(return_values("function g() external;").is_empty());
    }

    #[test]
    #[should_panic(expected = "unnamed return values in [\"f()\"]")]
    fn unnamed_tuples_are_reported() {
        let source = "interface IX {\n    function f() external view returns (uint256, uint256);\n    function g() external view returns (uint256 a, uint256[] memory b);\n    function h() external view returns (uint256);\n}\n";
        assert_named_returns(source, "IX");
    }

    #[test]
    fn canonical_signatures_drop_names_and_locations() {
        assert_eq!(
            canonical_signature("function setRiskParameters(uint256[] memory values) external;"),
            "setRiskParameters(uint256[])"
        );
        assert_eq!(canonical_signature("function acceptAdmin() external;"), "acceptAdmin()");
        assert_eq!(
            canonical_signature(
                "setMarketParams(uint32 id, uint32 feed, uint256[11] calldata params) external returns (uint32);"
            ),
            "setMarketParams(uint32,uint32,uint256[11])"
        );
    }

    #[test]
    fn the_roles_table_is_the_exported_roles_interface() {
        let source = include_str!("../../../abi/Vault.sol");
        assert_eq!(interface_functions(source, "IRoles").len(), 10);
        let (only_table, only_exported) =
            table_mismatch(&crate::roles::signatures(), source, "IRoles");
        assert!(
            only_table.is_empty() && only_exported.is_empty(),
            "{only_table:?} {only_exported:?}"
        );
        let (only_table, _) = table_mismatch(&["nope()"], source, "IRoles");
        assert_eq!(only_table, ["nope()"]);
    }

    #[test]
    fn output_of_a_result() {
        let ok: Result<(u32, bool), Vec<u8>> = Ok((7, true));
        assert_eq!(ok.output(), Ok((7u32, true).abi_encode_params()));
        let err: Result<u32, Vec<u8>> = Err(vec![1, 2]);
        assert_eq!(err.output(), Err(vec![1, 2]));
        assert_eq!(().output(), Ok(Vec::new()));
        assert_eq!(U256::from(5).output(), Ok(U256::from(5).abi_encode()));
    }
}
