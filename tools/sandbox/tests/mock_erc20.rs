//! Runs the real `MockERC20` artifact (built by `scripts/build` into
//! `target/stylus/`) through the sandbox. Skipped, with a message, when the
//! artifact has not been built.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolConstructor};
use bulwark_sandbox::{Outcome, Sandbox};

sol! {
    constructor(string name, string symbol, uint8 decimals);
    function mint(address to, uint256 amount) external;
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
    function decimals() external view returns (uint8);
    function name() external view returns (string);
    event Transfer(address indexed from, address indexed to, uint256 value);
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
}

fn artifact(name: &str) -> Option<Vec<u8>> {
    let bytes = bulwark_sandbox::artifact(name).ok();
    if bytes.is_none() {
        eprintln!(
            "skipped: {name}.wasm not built in {} (run scripts/build)",
            bulwark_sandbox::artifacts_dir().display()
        );
    }
    bytes
}

#[test]
fn mock_erc20_transfer_moves_balances_and_emits_event() {
    let Some(wasm) = artifact("MockERC20") else {
        return;
    };
    let alice = Address::repeat_byte(0xA1);
    let bob = Address::repeat_byte(0xB0);
    let mut sb = Sandbox::new();
    let args = constructorCall { name: "Mock USD".into(), symbol: "mUSD".into(), decimals: 6 }
        .abi_encode();
    let (token, receipt) =
        sb.deploy(alice, &wasm, Some(&args), U256::ZERO).expect("MockERC20 deploys");
    assert!(receipt.expect("constructor ran").success());
    assert_eq!(sb.view(token, &decimalsCall {}).unwrap()._0, 6);
    assert_eq!(sb.view(token, &nameCall {}).unwrap()._0, "Mock USD");

    let r = sb.call(alice, token, &mintCall { to: alice, amount: U256::from(1_000_000) }).unwrap();
    assert!(r.success(), "{r:?}");

    // A new block: the first call of the program in it pays the full entry
    // (from ArbOS 60 a repeat call in the same block pays the cached one).
    sb.mine(1);
    let r = sb.call(alice, token, &transferCall { to: bob, value: U256::from(250_000) }).unwrap();
    assert!(r.success(), "{r:?}");
    assert!(r.decode_return::<transferCall>().unwrap()._0);
    let events = r.events::<Transfer>();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].from, events[0].to), (alice, bob));
    assert_eq!(events[0].value, U256::from(250_000));
    assert_eq!(sb.view(token, &balanceOfCall { account: bob }).unwrap()._0, U256::from(250_000));
    // A transfer pays the entry cost, two storage updates and a log.
    let g = r.gas;
    eprintln!("MockERC20 transfer: {} gas used, {g:?}", r.gas_used);
    assert!(g.entry_gas > 8_832, "{g:?}");
    assert!(g.storage_gas >= 2 * 2_100 + 2_900 + 20_000, "{g:?}");
    // LOG3 with one word of data: 375 + 3 x 375 + 8 x 32.
    assert_eq!(g.log_gas, 375 + 3 * 375 + 8 * 32);
    assert_eq!(r.gas_used, g.total_gas(10_000) - g.refund_gas);

    // Too large a transfer reverts with the named error.
    let r = sb.call(bob, token, &transferCall { to: alice, value: U256::from(250_001) }).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    let err = r.decode_error::<ERC20InsufficientBalance>().expect("named error");
    assert_eq!(err.needed, U256::from(250_001));
}

/// Contracts on the project's checked-in size-waiver list (`scripts/size-waivers`).
fn size_waivers() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/size-waivers");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_built_artifact_activates_in_the_sandbox() {
    let waivers = size_waivers();
    for name in bulwark_deploy::artifacts().into_iter().map(|a| a.name) {
        let Some(wasm) = artifact(name) else {
            continue;
        };
        let mut sb = Sandbox::new();
        let waived = waivers.iter().any(|w| w == name);
        if waived {
            // A waiver must still be needed: a listed contract that fits is a stale entry.
            assert!(
                sb.activate(&wasm).is_err(),
                "{name} fits now: remove it from scripts/size-waivers"
            );
            sb.enforce_size_limits(false);
        }
        let program = sb.activate(&wasm).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: code {} bytes, entry {} gas cached / {} uncached{}",
            program.code.len(),
            program.cached_gas(sb.schedule()),
            program.cached_gas(sb.schedule()) + program.init_gas(sb.schedule()),
            if waived { " (size waived)" } else { "" }
        );
    }
}

#[test]
fn sandbox_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Sandbox>();
}

#[test]
#[ignore = "throughput measurement; run with --release --ignored --nocapture"]
fn transfer_throughput() {
    let Some(wasm) = artifact("MockERC20") else {
        return;
    };
    let alice = Address::repeat_byte(0xA1);
    let mut sb = Sandbox::new();
    let token = sb
        .deploy_with(
            alice,
            &wasm,
            &constructorCall { name: "M".into(), symbol: "M".into(), decimals: 6 },
        )
        .unwrap();
    sb.call(alice, token, &mintCall { to: alice, amount: U256::MAX }).unwrap();
    let start = std::time::Instant::now();
    let n = 2_000_u64;
    for i in 1..=n {
        let to = Address::left_padding_from(&i.to_be_bytes());
        let r = sb.call(alice, token, &transferCall { to, value: U256::from(1) }).unwrap();
        assert!(r.success());
    }
    let per = start.elapsed() / u32::try_from(n).unwrap();
    eprintln!("{per:?} per transfer");
}
