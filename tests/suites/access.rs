//! Access control, table-driven: every admin-, role- and wiring-gated
//! function of every contract, called by a stranger (and by the admin or the
//! wrong wired contract where only a wired contract may call), reverts with
//! the exact named error; the rightful caller gets past the gate. A
//! completeness check classifies every function of every ABI as gated (in the
//! table) or open, so a new function cannot slip through unclassified.

use std::collections::BTreeSet;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolInterface};
use bulwark_tests::bindings::{
    margin::IMarginEngine, options::IOptionsMarket, oracle::IOracleAdapter, perp::IPerpMarket,
    risk::IRiskEngine, vault::IVault,
};
use bulwark_tests::protocol::{
    flat_surface, perp_params, swad as s_wad, usd, Protocol, ETH, ETH_MARKET, STRANGER, TRADERS,
    VOL_UPDATER,
};
use bulwark_tests::{assert_error, wad, ADMIN, WAD};

// Every contract shares the roles module; its errors and calls are the same
// bytes in each ABI.
use bulwark_tests::bindings::vault::IRoles;

const ADMIN_ROLE: u8 = 0;
const PAUSER: u8 = 1;
const VOLATILITY_UPDATER: u8 = 2;

/// One gated function: who is refused and with which error.
struct Case {
    contract: &'static str,
    signature: &'static str,
    selector: [u8; 4],
    target: Address,
    calldata: Vec<u8>,
    /// The caller that passes the gate (none when it needs prior state, as
    /// the pending admin does).
    rightful: Option<Address>,
    /// Callers refused, each with its exact revert data.
    refused: Vec<(Address, Vec<u8>)>,
}

fn case<C: SolCall>(contract: &'static str, target: Address, call: &C, rightful: Address) -> Case {
    Case {
        contract,
        signature: C::SIGNATURE,
        selector: C::SELECTOR,
        target,
        calldata: call.abi_encode(),
        rightful: Some(rightful),
        refused: Vec::new(),
    }
}

impl Case {
    fn without_rightful_caller(mut self) -> Self {
        self.rightful = None;
        self
    }

    fn refuse<E: SolError>(mut self, caller: Address, error: &E) -> Self {
        self.refused.push((caller, error.abi_encode()));
        self
    }

    /// Refused to a stranger as `Unauthorized(stranger, role)`.
    fn role(self, role: u8) -> Self {
        self.refuse(STRANGER, &IRoles::Unauthorized { caller: STRANGER, role })
    }
}

fn unauthorized(caller: Address) -> IRoles::Unauthorized {
    IRoles::Unauthorized { caller, role: ADMIN_ROLE }
}

/// The roles functions every contract inherits, gated.
fn roles_cases(contract: &'static str, target: Address) -> Vec<Case> {
    vec![
        case(contract, target, &IRoles::transferAdminCall { new_admin: STRANGER }, ADMIN)
            .role(ADMIN_ROLE),
        case(contract, target, &IRoles::grantRoleCall { account: STRANGER, role: PAUSER }, ADMIN)
            .role(ADMIN_ROLE),
        case(contract, target, &IRoles::revokeRoleCall { account: ADMIN, role: PAUSER }, ADMIN)
            .role(ADMIN_ROLE),
        case(contract, target, &IRoles::pauseCall {}, ADMIN).role(PAUSER),
        case(contract, target, &IRoles::unpauseCall {}, ADMIN).role(ADMIN_ROLE),
        case(contract, target, &IRoles::acceptAdminCall {}, ADMIN)
            .refuse(
                STRANGER,
                &IRoles::NotPendingAdmin { caller: STRANGER, pendingAdmin: Address::ZERO },
            )
            .without_rightful_caller(),
    ]
}

#[allow(clippy::too_many_lines)] // The table.
fn table(p: &Protocol) -> Vec<Case> {
    let account = Protocol::account(TRADERS[0]);
    let series = p.series[0];
    let (oracle, vault, risk, perp, options) = (p.oracle, p.vault, p.risk, p.perp, p.options);
    let mut cases = Vec::new();
    for (name, target) in [
        ("OracleAdapter", oracle),
        ("Vault", vault),
        ("RiskEngine", risk),
        ("PerpMarket", perp),
        ("OptionsMarket", options),
    ] {
        cases.extend(roles_cases(name, target));
    }
    // OracleAdapter.
    let set_feed = IOracleAdapter::setFeedCall {
        feed_id: 9,
        primary: p.eth_primary,
        secondary: Address::ZERO,
        max_age: 3_600,
        max_age_lenient: 7_200,
        max_deviation_bps: 0,
        min_price: wad(1),
        max_price: wad(2),
    };
    cases.push(case("OracleAdapter", oracle, &set_feed, ADMIN).role(ADMIN_ROLE));
    let set_timing = IOracleAdapter::setTimingCall {
        sequencer_feed: p.sequencer,
        grace_period: 600,
        settlement_window: 3_600,
    };
    cases.push(case("OracleAdapter", oracle, &set_timing, ADMIN).role(ADMIN_ROLE));
    let surface_config = IOracleAdapter::setSurfaceConfigCall {
        min_log_moneyness: I256::try_from(-1).unwrap() * s_wad(1),
        max_log_moneyness: s_wad(1),
        points: 5,
        min_volatility: wad(1) / U256::from(10u8),
        max_volatility: wad(2),
        max_age: 3_600,
    };
    cases.push(case("OracleAdapter", oracle, &surface_config, ADMIN).role(ADMIN_ROLE));
    let surface = flat_surface(series.expiry, p.chain.now(), wad(2_000), WAD / 2);
    cases.push(case("OracleAdapter", oracle, &surface, VOL_UPDATER).role(VOLATILITY_UPDATER));
    // Vault: admin functions, then the RiskEngine's.
    cases.push(
        case("Vault", vault, &IVault::setRiskEngineCall { risk_engine: STRANGER }, ADMIN)
            .role(ADMIN_ROLE),
    );
    let set_parameters = IVault::setParametersCall {
        insurance_fee_bps: 1_000,
        protocol_fee_bps: 1_000,
        insurance_penalty_bps: 5_000,
        cooldown: 0,
        redeem_window: 0,
    };
    cases.push(case("Vault", vault, &set_parameters, ADMIN).role(ADMIN_ROLE));
    let configure = IVault::configureCollateralCall {
        token: p.token,
        haircut: wad(1),
        cap: usd(1),
        feed_id: 0,
    };
    cases.push(case("Vault", vault, &configure, ADMIN).role(ADMIN_ROLE));
    let claim = IVault::claimProtocolFeesCall { to: STRANGER, amount: U256::from(1u8) };
    cases.push(case("Vault", vault, &claim, ADMIN).role(ADMIN_ROLE));
    let not_risk = |caller| IVault::NotRiskEngine { caller };
    let wired = |c: Case| {
        c.refuse(STRANGER, &not_risk(STRANGER))
            .refuse(ADMIN, &not_risk(ADMIN))
            .refuse(perp, &not_risk(perp))
            .refuse(options, &not_risk(options))
    };
    let withdraw = IVault::withdrawCall { account, token: p.token, amount: usd(1), to: STRANGER };
    cases.push(wired(case("Vault", vault, &withdraw, risk)));
    let pay = IVault::payLiquidatorCall { account, amount: usd(1), to: STRANGER };
    cases.push(wired(case("Vault", vault, &pay, risk)));
    let transfer = IVault::transferCollateralCall {
        from: account,
        to: Protocol::account(STRANGER),
        token: p.token,
        amount: usd(1),
    };
    cases.push(wired(case("Vault", vault, &transfer, risk)));
    let settle = IVault::settleCall {
        account,
        pnl: I256::try_from(1).unwrap(),
        fee: U256::ZERO,
        penalty: false,
    };
    cases.push(wired(case("Vault", vault, &settle, risk)));
    cases.push(wired(case("Vault", vault, &IVault::absorbBadDebtCall { account }, risk)));
    // RiskEngine: admin functions, then the markets' hooks.
    let set_markets =
        IRiskEngine::setMarketsCall { perp_market: STRANGER, options_market: STRANGER };
    cases.push(case("RiskEngine", risk, &set_markets, ADMIN).role(ADMIN_ROLE));
    let defaults = vec![
        wad(1),
        wad(8) / U256::from(10u8),
        wad(1) / U256::from(100u8),
        wad(5) / U256::from(1_000u16),
        wad(1) / U256::from(10u8),
        wad(2) / U256::from(1_000u16),
        wad(1) / U256::from(10u8),
        wad(1) / U256::from(10u8),
        wad(2) / U256::from(10u8),
        wad(2),
        wad(10),
    ];
    let set_risk = IRiskEngine::setRiskParametersCall { values: defaults };
    cases.push(case("RiskEngine", risk, &set_risk, ADMIN).role(ADMIN_ROLE));
    // RiskEngine: an account's own functions.
    let withdraw =
        IRiskEngine::withdrawCall { account, token: p.token, amount: usd(1), to: STRANGER };
    cases.push(
        case("RiskEngine", risk, &withdraw, TRADERS[0])
            .refuse(STRANGER, &IRiskEngine::NotAccountOperator { account, caller: STRANGER }),
    );
    let trade_perp = IRiskEngine::tradePerpCall {
        account,
        market_id: ETH_MARKET,
        size_delta: I256::try_from(1).unwrap(),
        acceptable_price: U256::MAX,
    };
    cases.push(
        case("RiskEngine", risk, &trade_perp, TRADERS[0])
            .refuse(STRANGER, &IRiskEngine::NotAccountOperator { account, caller: STRANGER }),
    );
    let trade_option = IRiskEngine::tradeOptionCall {
        account,
        series_id: series.id,
        amount: I256::try_from(1).unwrap(),
        limit_premium: I256::MAX,
    };
    cases.push(
        case("RiskEngine", risk, &trade_option, TRADERS[0])
            .refuse(STRANGER, &IRiskEngine::NotAccountOperator { account, caller: STRANGER }),
    );
    // PerpMarket.
    let params =
        IPerpMarket::setMarketParamsCall { market_id: 0, feed_id: ETH, params: perp_params() };
    cases.push(case("PerpMarket", perp, &params, ADMIN).role(ADMIN_ROLE));
    let close = IPerpMarket::onLiquidationCloseCall {
        account,
        market_id: ETH_MARKET,
        size_before: I256::ZERO,
        size_delta: I256::ZERO,
        oracle_price: wad(2_000),
    };
    cases.push(
        case("PerpMarket", perp, &close, risk)
            .refuse(STRANGER, &IPerpMarket::NotRiskEngine { caller: STRANGER })
            .refuse(ADMIN, &IPerpMarket::NotRiskEngine { caller: ADMIN })
            .refuse(options, &IPerpMarket::NotRiskEngine { caller: options }),
    );
    let trade = IPerpMarket::onTradeCall {
        account,
        market_id: ETH_MARKET,
        size_before: I256::ZERO,
        size_delta: I256::try_from(1).unwrap(),
        acceptable_price: U256::MAX,
    };
    cases.push(
        case("PerpMarket", perp, &trade, risk)
            .refuse(STRANGER, &IPerpMarket::NotRiskEngine { caller: STRANGER })
            .refuse(ADMIN, &IPerpMarket::NotRiskEngine { caller: ADMIN })
            .refuse(options, &IPerpMarket::NotRiskEngine { caller: options }),
    );
    // OptionsMarket.
    let market = IOptionsMarket::setMarketParamsCall {
        trading_cutoff: 0,
        base_spread: U256::ZERO,
        trade_vega_slope: U256::ZERO,
        exposure_slope: U256::ZERO,
        fee_premium_rate: U256::ZERO,
        fee_notional_rate: U256::ZERO,
    };
    cases.push(case("OptionsMarket", options, &market, ADMIN).role(ADMIN_ROLE));
    let underlying = IOptionsMarket::configureUnderlyingCall {
        underlying: ETH,
        strike_step: wad(50),
        strikes_per_side: 2,
        delta_limit: wad(1),
        vega_limit: wad(1),
    };
    cases.push(case("OptionsMarket", options, &underlying, ADMIN).role(ADMIN_ROLE));
    let list = IOptionsMarket::listSeriesCall {
        underlying: ETH,
        strike: wad(2_500),
        expiry: series.expiry,
        is_call: true,
    };
    cases.push(case("OptionsMarket", options, &list, ADMIN).role(ADMIN_ROLE));
    let only_risk = |caller| IOptionsMarket::OnlyRiskEngine { caller };
    let risk_hook = |c: Case| {
        c.refuse(STRANGER, &only_risk(STRANGER))
            .refuse(ADMIN, &only_risk(ADMIN))
            .refuse(perp, &only_risk(perp))
    };
    let close = IOptionsMarket::onLiquidationCloseCall {
        series_id: series.id,
        amount_delta: I256::try_from(1).unwrap(),
        spot: wad(2_000),
    };
    cases.push(risk_hook(case("OptionsMarket", options, &close, risk)));
    let trade = IOptionsMarket::onTradeCall {
        account,
        series_id: series.id,
        amount_before: I256::ZERO,
        amount: I256::try_from(1).unwrap(),
        limit_premium: I256::MAX,
    };
    cases.push(risk_hook(case("OptionsMarket", options, &trade, risk)));
    let settlement = IOptionsMarket::onSettlementCall { series_id: series.id, amount: I256::ZERO };
    cases.push(risk_hook(case("OptionsMarket", options, &settlement, risk)));
    cases
}

/// Functions open to anyone (views, and actions whose own rules apply to
/// every caller), by contract.
fn open_functions() -> Vec<(&'static str, Vec<[u8; 4]>)> {
    let roles = [
        IRoles::adminCall::SELECTOR,
        IRoles::pendingAdminCall::SELECTOR,
        IRoles::hasRoleCall::SELECTOR,
        IRoles::pausedCall::SELECTOR,
    ];
    let with_roles = |own: &[[u8; 4]]| roles.iter().chain(own).copied().collect::<Vec<_>>();
    vec![
        (
            "OracleAdapter",
            with_roles(&[
                IOracleAdapter::priceCall::SELECTOR,
                IOracleAdapter::pricesCall::SELECTOR,
                IOracleAdapter::sequencerStatusCall::SELECTOR,
                IOracleAdapter::applyFeedChangeCall::SELECTOR,
                IOracleAdapter::pendingFeedChangeCall::SELECTOR,
                IOracleAdapter::recordSettlementPriceCall::SELECTOR,
                IOracleAdapter::settlementPriceCall::SELECTOR,
                IOracleAdapter::volatilityCall::SELECTOR,
                IOracleAdapter::volatilitiesCall::SELECTOR,
            ]),
        ),
        (
            "Vault",
            with_roles(&[
                IVault::depositCall::SELECTOR,
                IVault::lpDepositCall::SELECTOR,
                IVault::fundInsuranceCall::SELECTOR,
                IVault::lpRequestRedeemCall::SELECTOR,
                IVault::lpRedeemCall::SELECTOR,
                IVault::parametersCall::SELECTOR,
                IVault::collateralTokensCall::SELECTOR,
                IVault::collateralConfigCall::SELECTOR,
                IVault::balanceOfCall::SELECTOR,
                IVault::accountSnapshotCall::SELECTOR,
                IVault::totalAssetsCall::SELECTOR,
                IVault::convertToSharesCall::SELECTOR,
                IVault::previewRedeemCall::SELECTOR,
                IVault::poolStateCall::SELECTOR,
                IVault::lpPositionCall::SELECTOR,
                IVault::trackedBalanceCall::SELECTOR,
                IVault::accountsCall::SELECTOR,
            ]),
        ),
        (
            // No state, no roles: every function is a view anyone may call.
            "MarginEngine",
            vec![IMarginEngine::marginCall::SELECTOR, IMarginEngine::liquidationPlanCall::SELECTOR],
        ),
        (
            "RiskEngine",
            with_roles(&[
                IRiskEngine::vaultCall::SELECTOR,
                IRiskEngine::oracleCall::SELECTOR,
                IRiskEngine::marginEngineCall::SELECTOR,
                IRiskEngine::marketsCall::SELECTOR,
                IRiskEngine::riskParametersCall::SELECTOR,
                IRiskEngine::applyRiskParametersCall::SELECTOR,
                IRiskEngine::pendingRiskParametersCall::SELECTOR,
                IRiskEngine::setOperatorCall::SELECTOR,
                IRiskEngine::operatorScopeCall::SELECTOR,
                IRiskEngine::isAuthorizedCall::SELECTOR,
                IRiskEngine::accountHealthCall::SELECTOR,
                IRiskEngine::isLiquidatableCall::SELECTOR,
                IRiskEngine::liquidatableCall::SELECTOR,
                IRiskEngine::previewLiquidationCall::SELECTOR,
                IRiskEngine::liquidateCall::SELECTOR,
                IRiskEngine::settleOptionsCall::SELECTOR,
                IRiskEngine::perpPositionCall::SELECTOR,
                IRiskEngine::optionAmountCall::SELECTOR,
                IRiskEngine::badDebtCall::SELECTOR,
            ]),
        ),
        (
            "PerpMarket",
            with_roles(&[
                IPerpMarket::marginInputsCall::SELECTOR,
                IPerpMarket::feedSkewCall::SELECTOR,
                IPerpMarket::quoteCall::SELECTOR,
                IPerpMarket::applyMarketParamsCall::SELECTOR,
                IPerpMarket::pendingMarketParamsCall::SELECTOR,
                IPerpMarket::positionCall::SELECTOR,
                IPerpMarket::marketCountCall::SELECTOR,
                IPerpMarket::marketParamsCall::SELECTOR,
            ]),
        ),
        (
            "OptionsMarket",
            with_roles(&[
                IOptionsMarket::listExpiryCall::SELECTOR,
                IOptionsMarket::quoteCall::SELECTOR,
                IOptionsMarket::remarkCall::SELECTOR,
                IOptionsMarket::settleSeriesCall::SELECTOR,
                IOptionsMarket::marketParamsCall::SELECTOR,
                IOptionsMarket::underlyingConfigCall::SELECTOR,
            ]),
        ),
    ]
}

/// Every selector of a contract's ABI: its own interface plus the roles.
fn abi_selectors(contract: &str) -> BTreeSet<[u8; 4]> {
    let own: Vec<[u8; 4]> = match contract {
        "OracleAdapter" => IOracleAdapter::IOracleAdapterCalls::selectors().collect(),
        "Vault" => IVault::IVaultCalls::selectors().collect(),
        "RiskEngine" => IRiskEngine::IRiskEngineCalls::selectors().collect(),
        "MarginEngine" => return IMarginEngine::IMarginEngineCalls::selectors().collect(),
        "PerpMarket" => IPerpMarket::IPerpMarketCalls::selectors().collect(),
        "OptionsMarket" => IOptionsMarket::IOptionsMarketCalls::selectors().collect(),
        _ => unreachable!(),
    };
    own.into_iter().chain(IRoles::IRolesCalls::selectors()).collect()
}

#[test]
fn every_gated_function_refuses_the_wrong_caller_with_its_named_error() {
    let mut p = Protocol::new();
    assert!(p.deposit(TRADERS[0], usd(100)).success());
    let cases = table(&p);
    let start = p.snapshot();
    let mut checked = 0;
    for c in &cases {
        for (caller, expected) in &c.refused {
            let r = p.chain.sandbox.call_raw(*caller, c.target, c.calldata.clone()).unwrap();
            assert!(
                !r.success() && r.output.as_ref() == expected.as_slice(),
                "{}.{} from {caller}: expected 0x{}, got {:?} 0x{}",
                c.contract,
                c.signature,
                alloy_primitives::hex::encode(expected),
                r.outcome,
                alloy_primitives::hex::encode(&r.output)
            );
            checked += 1;
        }
        // The rightful caller gets past the gate (it may still fail later,
        // for its own reasons, but not with a caller error).
        let Some(rightful) = c.rightful else { continue };
        let r = p.chain.sandbox.call_raw(rightful, c.target, c.calldata.clone()).unwrap();
        for (_, refusal) in &c.refused {
            let selector = &refusal[..4];
            assert!(
                r.success() || r.output.len() < 4 || &r.output[..4] != selector,
                "{}.{} refused its rightful caller {}: 0x{}",
                c.contract,
                c.signature,
                rightful,
                alloy_primitives::hex::encode(&r.output)
            );
        }
        p.restore(&start);
    }
    assert!(checked >= 60, "{checked} refusals checked");
}

#[test]
fn every_function_of_every_abi_is_classified_as_gated_or_open() {
    let p = Protocol::new();
    let cases = table(&p);
    for (contract, open) in open_functions() {
        let gated: BTreeSet<[u8; 4]> =
            cases.iter().filter(|c| c.contract == contract).map(|c| c.selector).collect();
        let open: BTreeSet<[u8; 4]> = open.into_iter().collect();
        assert!(gated.is_disjoint(&open), "{contract}: a function is both gated and open");
        let classified: BTreeSet<[u8; 4]> = gated.union(&open).copied().collect();
        let abi = abi_selectors(contract);
        let missing: Vec<String> =
            abi.difference(&classified).map(alloy_primitives::hex::encode).collect();
        let unknown: Vec<String> =
            classified.difference(&abi).map(alloy_primitives::hex::encode).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{contract}: unclassified selectors {missing:?}, not in the ABI {unknown:?}"
        );
    }
}

#[test]
fn a_pauser_may_pause_but_only_the_admin_unpauses() {
    let mut p = Protocol::new();
    let bot = Address::repeat_byte(0xb0);
    for target in [p.oracle, p.vault, p.risk, p.perp, p.options] {
        let grant = IRoles::grantRoleCall { account: bot, role: PAUSER };
        let r = p.chain.send(ADMIN, target, &grant);
        assert_eq!(
            r.events::<IRoles::RoleGranted>(),
            vec![IRoles::RoleGranted { account: bot, role: PAUSER, sender: ADMIN }]
        );
        let call = IRoles::hasRoleCall { account: bot, role: PAUSER };
        assert!(p.chain.view(target, &call).unwrap()._0);
        assert!(p.chain.send(bot, target, &IRoles::pauseCall {}).success());
        assert!(p.chain.view(target, &IRoles::pausedCall {}).unwrap()._0);
        assert_error(
            &p.chain.send(bot, target, &IRoles::unpauseCall {}).output,
            &unauthorized(bot),
        );
        assert!(p.chain.send(ADMIN, target, &IRoles::unpauseCall {}).success());
        let revoke = IRoles::revokeRoleCall { account: bot, role: PAUSER };
        assert!(p.chain.send(ADMIN, target, &revoke).success());
        assert_error(
            &p.chain.send(bot, target, &IRoles::pauseCall {}).output,
            &IRoles::Unauthorized { caller: bot, role: PAUSER },
        );
        // Roles are single defined bits.
        for role in [0u8, 3, 4, 128] {
            let call = IRoles::grantRoleCall { account: bot, role };
            assert_error(&p.chain.send(ADMIN, target, &call).output, &IRoles::UnknownRole { role });
        }
    }
    // The volatility updater role exists (for the OracleAdapter's surface).
    let call = IRoles::grantRoleCall { account: bot, role: VOLATILITY_UPDATER };
    assert!(p.chain.send(ADMIN, p.oracle, &call).success());
}

#[test]
fn the_admin_role_moves_in_two_steps() {
    let mut p = Protocol::new();
    let successor = Address::repeat_byte(0x5c);
    for target in [p.oracle, p.vault, p.risk, p.perp, p.options] {
        let zero = IRoles::transferAdminCall { new_admin: Address::ZERO };
        assert_error(
            &p.chain.send(ADMIN, target, &zero).output,
            &IRoles::InvalidAdmin { candidate: Address::ZERO },
        );
        let call = IRoles::transferAdminCall { new_admin: successor };
        assert!(p.chain.send(ADMIN, target, &call).success());
        assert_eq!(p.chain.view(target, &IRoles::adminCall {}).unwrap()._0, ADMIN, "not yet");
        assert_error(
            &p.chain.send(STRANGER, target, &IRoles::acceptAdminCall {}).output,
            &IRoles::NotPendingAdmin { caller: STRANGER, pendingAdmin: successor },
        );
        let r = p.chain.send(successor, target, &IRoles::acceptAdminCall {});
        assert_eq!(
            r.events::<IRoles::AdminTransferred>(),
            vec![IRoles::AdminTransferred { previousAdmin: ADMIN, newAdmin: successor }]
        );
        assert_eq!(p.chain.view(target, &IRoles::adminCall {}).unwrap()._0, successor);
        assert_eq!(p.chain.view(target, &IRoles::pendingAdminCall {}).unwrap()._0, Address::ZERO);
        assert_error(
            &p.chain.send(ADMIN, target, &IRoles::pauseCall {}).output,
            &IRoles::Unauthorized { caller: ADMIN, role: PAUSER },
        );
        assert_error(
            &p.chain.send(ADMIN, target, &IRoles::unpauseCall {}).output,
            &unauthorized(ADMIN),
        );
    }
}

#[test]
fn wiring_is_set_once_and_checked_against_zero() {
    let mut p = Protocol::new();
    let again = IVault::setRiskEngineCall { risk_engine: STRANGER };
    assert_error(
        &p.chain.send(ADMIN, p.vault, &again).output,
        &IVault::RiskEngineAlreadySet { riskEngine: p.risk },
    );
    let zero =
        IRiskEngine::setMarketsCall { perp_market: Address::ZERO, options_market: p.options };
    assert_error(
        &p.chain.send(ADMIN, p.risk, &zero).output,
        &IRiskEngine::InvalidParameter { index: 200 },
    );
    // The markets are wired once: a market that could be replaced could
    // invent fills and pay itself from the pool.
    let rewire = IRiskEngine::setMarketsCall { perp_market: STRANGER, options_market: STRANGER };
    assert_error(
        &p.chain.send(ADMIN, p.risk, &rewire).output,
        &IRiskEngine::MarketsAlreadySet { perpMarket: p.perp, optionsMarket: p.options },
    );
    let markets = p.chain.view(p.risk, &IRiskEngine::marketsCall {}).unwrap();
    assert_eq!((markets.perpMarket, markets.optionsMarket), (p.perp, p.options));
    let parameters = p.chain.view(p.vault, &IVault::parametersCall {}).unwrap();
    assert_eq!((parameters.quoteToken, parameters.riskEngine), (p.token, p.risk));
    // A fresh Vault without a RiskEngine refuses the hooks as well.
    let vault = p.chain.deploy(
        "Vault",
        &bulwark_tests::bindings::constructors::Vault::constructorCall {
            admin: ADMIN,
            quote: p.token,
            quote_cap: usd(1),
        },
    );
    let call = IVault::absorbBadDebtCall { account: U256::from(1u8) };
    assert_error(
        &p.chain.send(Address::ZERO, vault, &call).output,
        &IVault::NotRiskEngine { caller: Address::ZERO },
    );
}
