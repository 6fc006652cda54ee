//! Ink metering against hand-computed totals.
//!
//! Each basic block pays 2,450 ink plus the ink of its instructions; a block
//! ends at `end`, `else`, `return`, `loop`, `br`, `br_table`, `br_if`, `if`,
//! `call` and `call_indirect` (the ending instruction belongs to the block).
//! `memory.copy`/`memory.fill` pay 100 ink per byte on top.

use alloy_primitives::{Address, Bytes, U256};
use bulwark_sandbox::{Receipt, Sandbox, Tx};

const ALICE: Address = Address::repeat_byte(0xA1);

fn run(body: &str, imports: &str, input: &[u8]) -> (Sandbox, Address, Receipt) {
    // A memory that can grow needs the pay import (Nitro's heap bound).
    let max = if imports.contains("pay_for_memory_grow") { "" } else { "1" };
    let src = format!(
        r#"(module {imports}
          (memory (export "memory") 1 {max})
          {body}
        )"#
    );
    let wasm = wat::parse_str(&src).expect("test WAT parses");
    let mut sb = Sandbox::new();
    let (address, _) = sb.deploy(ALICE, &wasm, None, U256::ZERO).unwrap();
    let receipt = sb.call_raw(ALICE, address, input.to_vec()).unwrap();
    assert!(receipt.success(), "{receipt:?}");
    (sb, address, receipt)
}

#[test]
fn straight_line() {
    let (sb, address, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32)
            local.get 0   ;; 75
            i32.const 1   ;; 1
            i32.add       ;; 70
            drop          ;; 9
            i32.const 0   ;; 1
          )               ;; end: 1"#,
        "",
        &[],
    );
    assert_eq!(r.gas.compute_ink, 2_450 + 75 + 1 + 70 + 9 + 1 + 1);
    assert_eq!(r.gas.hostio_ink, 0);
    // Gas: intrinsic + entry + the 2,607 ink rounded up to one gas.
    let program = sb.program(address).unwrap();
    let s = sb.schedule();
    assert_eq!(r.gas.entry_gas, program.cached_gas(s) + program.init_gas(s));
    assert_eq!(r.gas_used, 21_000 + r.gas.entry_gas + 1);
}

#[test]
fn loop_with_br_if() {
    let (_, _, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32) (local i32)
            i32.const 3   ;; 1
            local.set 1   ;; 210
            loop          ;; 1      block A = 2,450 + 212 = 2,662
              local.get 1 ;; 75
              i32.const 1 ;; 1
              i32.sub     ;; 70
              local.tee 1 ;; 75
              br_if 0     ;; 765    block B = 2,450 + 986 = 3,436, runs 3 times
            end           ;; 1      block C = 2,451
            i32.const 0   ;; 1
          )               ;; 1      block D = 2,452"#,
        "",
        &[],
    );
    assert_eq!(r.gas.compute_ink, 2_662 + 3 * 3_436 + 2_451 + 2_452);
}

#[test]
fn calls_and_branches() {
    let body = r#"
        (func $double (param i32) (result i32)
            local.get 0   ;; 75
            i32.const 2   ;; 1
            i32.mul       ;; 160
          )               ;; 1      block = 2,687
        (func (export "user_entrypoint") (param i32) (result i32)
            local.get 0     ;; 75
            if (result i32) ;; 765  block = 3,290
              i32.const 5   ;; 1
              call $double  ;; 3,800 block (then) = 6,251
            else            ;; 1    block (then, after the call) = 2,451
              i32.const 2   ;; 1
              i32.const 3   ;; 1
              i32.add       ;; 70
            end             ;; 1    block (else) = 2,523
            drop            ;; 9
            i32.const 0     ;; 1
          )                 ;; 1    block = 2,461"#;
    // Empty calldata: the else branch.
    let (_, _, r) = run(body, "", &[]);
    assert_eq!(r.gas.compute_ink, 3_290 + 2_523 + 2_461);
    // Calldata of length 1: the then branch, with a call.
    let (_, _, r) = run(body, "", &[7]);
    assert_eq!(r.gas.compute_ink, 3_290 + 6_251 + 2_687 + 2_451 + 2_461);
}

#[test]
fn memory_fill_pays_per_byte() {
    let (_, _, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0     ;; 1
            i32.const 7     ;; 1
            i32.const 100   ;; 1
            memory.fill     ;; 950 + 100 bytes x 100
            i32.const 0     ;; 1
          )                 ;; 1"#,
        "",
        &[],
    );
    assert_eq!(r.gas.compute_ink, 2_450 + 955 + 100 * 100);
}

#[test]
fn memory_copy_pays_per_byte() {
    let (_, _, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32)
            i32.const 64    ;; 1
            i32.const 0     ;; 1
            i32.const 40    ;; 1
            memory.copy     ;; 950 + 40 bytes x 100
            i32.const 0     ;; 1
          )                 ;; 1"#,
        "",
        &[],
    );
    assert_eq!(r.gas.compute_ink, 2_450 + 955 + 40 * 100);
}

#[test]
fn host_calls_charge_their_ink() {
    let (_, _, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32)
            call $ts        ;; 3,800  block = 6,250
            drop            ;; 9
            i32.const 0     ;; 1
          )                 ;; 1      block = 2,461"#,
        r#"(import "vm_hooks" "block_timestamp" (func $ts (result i64)))"#,
        &[],
    );
    assert_eq!(r.gas.compute_ink, 6_250 + 2_461);
    assert_eq!(r.gas.hostio_ink, 8_400);
}

#[test]
fn evm_ink_left_sees_the_meter() {
    let src = r#"(module
          (import "vm_hooks" "evm_ink_left" (func $ink (result i64)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0          ;; 1
            call $ink            ;; 3,800  block = 6,251
            i64.store            ;; 950
            i32.const 0          ;; 1
            i32.const 8          ;; 1
            call $write_result   ;; 3,800  block = 7,202
            i32.const 0          ;; 1
          ))                     ;; 1      block = 2,452"#;
    let wasm = wat::parse_str(src).unwrap();
    let mut sb = Sandbox::new();
    let (address, _) = sb.deploy(ALICE, &wasm, None, U256::ZERO).unwrap();
    let gas_limit = 1_000_000;
    let r = sb.transact(&Tx::call(ALICE, address, Bytes::new()).gas_limit(gas_limit)).unwrap();
    // The program starts with the limit less the intrinsic, L1 and entry gas.
    let ink_start = (gas_limit - 21_000 - r.gas_used_for_l1 - r.gas.entry_gas) * 10_000;
    let seen = u64::from_le_bytes(r.output[..8].try_into().unwrap());
    assert_eq!(seen, ink_start - 6_251 - 8_400);
    assert_eq!(r.gas.compute_ink, 6_251 + 7_202 + 2_452);
    // write_result of 8 bytes: 8,400 + 2 x 16,381.
    assert_eq!(r.gas.hostio_ink, 8_400 + 8_400 + 2 * 16_381);
}

#[test]
fn out_of_ink_mid_block_is_out_of_gas() {
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0 i32.const 0 i32.const 65536 memory.fill
            i32.const 0))"#,
    )
    .unwrap();
    let mut sb = Sandbox::new();
    // No L1 gas: the limit below is counted from the program's side.
    sb.block_mut().l1_price_per_unit = U256::ZERO;
    let (address, _) = sb.deploy(ALICE, &wasm, None, U256::ZERO).unwrap();
    let entry = {
        let p = sb.program(address).unwrap();
        p.cached_gas(sb.schedule()) + p.init_gas(sb.schedule())
    };
    // 65,536 bytes x 100 ink = 655.36 gas: 600 gas of ink is not enough.
    let limit = 21_000 + entry + 600;
    let r = sb.transact(&Tx::call(ALICE, address, Bytes::new()).gas_limit(limit)).unwrap();
    assert_eq!(r.outcome, bulwark_sandbox::Outcome::OutOfGas);
    assert_eq!(r.gas_used, limit);
    // 700 gas is.
    let r = sb.transact(&Tx::call(ALICE, address, Bytes::new()).gas_limit(limit + 100)).unwrap();
    assert!(r.success());
}

#[test]
fn memory_grow_pays_the_memory_model_through_pay_for_memory_grow() {
    let (sb, _, r) = run(
        r#"(func (export "user_entrypoint") (param i32) (result i32)
            i32.const 3     ;; 1
            memory.grow     ;; 8,050 (the helper that pays is not metered)
            drop            ;; 9
            i32.const 0     ;; 1
          )                 ;; 1"#,
        r#"(import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))"#,
        &[],
    );
    assert_eq!(r.gas.compute_ink, 2_450 + 8_062);
    // One page open, three more: pages 3 and 4 are beyond the two free ones.
    let s = sb.schedule();
    assert_eq!(r.gas.memory_gas, s.memory_gas(3, 1, 1));
    assert_eq!(r.gas.memory_gas, 2_000 + s.memory_exp(4) - s.memory_exp(1));
}

#[test]
fn memory_grow_without_pay_for_memory_grow_is_rejected() {
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 1 memory.grow))"#,
    )
    .unwrap();
    let err = Sandbox::new().deploy(ALICE, &wasm, None, U256::ZERO).unwrap_err();
    assert!(err.to_string().contains("pay_for_memory_grow"), "{err}");
}

#[test]
fn br_table_and_call_indirect() {
    let body = r#"
        (type $t (func (param i32 i32) (result i32)))
        (table 1 funcref)
        (elem (i32.const 0) $add)
        (func $add (param i32 i32) (result i32)
            local.get 0     ;; 75
            local.get 1     ;; 75
            i32.add         ;; 70
          )                 ;; 1      block = 2,671
        (func (export "user_entrypoint") (param i32) (result i32)
            block           ;; 1
              block         ;; 1
                local.get 0 ;; 75
                br_table 0 1 1 ;; 2,400 + 2 targets x 325 (the default is not counted)
                               ;; block = 2,450 + 77 + 3,050 = 5,577
              end           ;; 1      block = 2,451, never paid: a branch lands after it
              i32.const 1   ;; 1
              i32.const 2   ;; 1
              i32.const 0   ;; 1
              call_indirect (type $t) ;; 13,610 + 2 args x 650   block = 2,450 + 3 + 14,910 = 17,363
              drop          ;; 9
            end             ;; 1      block = 2,460, paid only on fall-through
            i32.const 0     ;; 1
          )                 ;; 1      block = 2,452"#;
    // The charge of a block sits at its start, so a block made of only
    // `end` that is entered by a branch to its label is skipped, as in
    // Nitro's meter.
    // Empty calldata: br_table index 0 -> after the inner block, then the call.
    let (_, _, r) = run(body, "", &[]);
    assert_eq!(r.gas.compute_ink, 5_577 + 17_363 + 2_671 + 2_460 + 2_452);
    // One byte of calldata: index 1 -> after the outer block.
    let (_, _, r) = run(body, "", &[9]);
    assert_eq!(r.gas.compute_ink, 5_577 + 2_452);
}
