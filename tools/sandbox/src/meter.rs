//! Ink metering: rewrites a Stylus module so that it pays for its own
//! execution the way Nitro's meter does.
//!
//! - Every basic block is charged, at its start, the sum of its opcodes' ink
//!   plus the block header ([`GasSchedule::ink_header_cost`]). The ink left
//!   lives in a mutable `i64` global that the host reads and writes (host
//!   calls charge it; `evm_ink_left` reads it). When a block costs more than
//!   what is left, the program sets a status global and traps: out of ink.
//! - `memory.copy` and `memory.fill` additionally pay per byte just before
//!   they run (the dynamic meter).
//! - `memory.grow` goes through a helper that first calls the program's
//!   `vm_hooks.pay_for_memory_grow` import, so growing memory pays the memory
//!   model's price, as in Nitro. The helper itself is not metered.
//!
//! - Every function deducts its worst-case frame (computed at activation, as
//!   Nitro's depth checker does) from a stack-left global on entry and gives
//!   it back before each `return` and before the final `end`. A frame that
//!   does not fit traps with the global at 0: out of stack, as on Nitro,
//!   where the call then consumes all its gas. As on Nitro, a `br` out of the
//!   function body skips the give-back. The lowest value the global reached
//!   is kept in a third global, so a receipt can say how deep a call went.
//!
//! Function indices of the original module are kept: the helper is appended
//! after the last function and the globals after the last global. None of
//! the inserted code is metered, as Nitro meters none of its own.

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, ImportSection, Instruction, MemorySection, Module, TableSection,
    TypeSection, ValType as EncValType,
};
use wasmparser::{Operator, Parser, Payload};

use crate::pricing::{ends_basic_block, opcode_ink, GasSchedule};

/// Export name of the ink-left global in an instrumented module.
pub const INK_GLOBAL: &str = "__bulwark_ink";
/// Export name of the status global (1 after running out of ink).
pub const STATUS_GLOBAL: &str = "__bulwark_status";
/// Export name of the stack-left global (words; 0 after running out of stack).
pub const DEPTH_GLOBAL: &str = "__bulwark_depth";
/// Export name of the global holding the lowest stack-left value reached.
pub const DEPTH_LOW_GLOBAL: &str = "__bulwark_depth_low";

/// Why a module could not be instrumented.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    /// The module could not be parsed.
    #[error("invalid WebAssembly: {0}")]
    Parse(#[from] wasmparser::BinaryReaderError),
    /// The module could not be re-encoded.
    #[error("cannot re-encode module: {0}")]
    Reencode(String),
    /// The module grows memory but does not import `pay_for_memory_grow`,
    /// which Nitro's activation requires.
    #[error("module uses memory.grow but does not import vm_hooks.pay_for_memory_grow")]
    MissingPayForMemoryGrow,
    /// An instruction that has no price (activation rejects it first).
    #[error("function {function} uses an instruction Stylus rejects")]
    Unpriced {
        /// Function index.
        function: u32,
    },
}

impl<E: core::fmt::Debug> From<wasm_encoder::reencode::Error<E>> for MeterError {
    fn from(err: wasm_encoder::reencode::Error<E>) -> Self {
        Self::Reencode(format!("{err:?}"))
    }
}

/// Static ink of each basic block of one function, in program order, as the
/// meter charges them. Exposed for tests and gas reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionBlocks {
    /// Function index in the module's function index space.
    pub function: u32,
    /// Ink of each block (header included).
    pub blocks: Vec<u64>,
}

/// The output of [`instrument`].
#[derive(Debug, Clone)]
pub struct Instrumented {
    /// The rewritten module.
    pub wasm: Vec<u8>,
    /// Static ink of every block of every defined function.
    pub blocks: Vec<FunctionBlocks>,
}

struct Globals {
    ink: u32,
    status: u32,
    depth: u32,
    depth_low: u32,
}

/// Rewrites `wasm` to charge ink per [`GasSchedule`] and to bound its value
/// stack with `frames` (each defined function's worst-case frame in words,
/// from [`crate::activation::check_module`]).
#[allow(clippy::too_many_lines)] // one arm per section, in section order
pub fn instrument(
    wasm: &[u8],
    schedule: &GasSchedule,
    frames: &[u32],
) -> Result<Instrumented, MeterError> {
    let mut re = RoundtripReencoder;
    let mut types = TypeSection::new();
    let mut type_params: Vec<(u32, u32)> = Vec::new();
    let mut imports = ImportSection::new();
    let mut functions = FunctionSection::new();
    let mut function_types: Vec<u32> = Vec::new();
    let mut tables: Option<TableSection> = None;
    let mut memories: Option<MemorySection> = None;
    let mut globals = GlobalSection::new();
    let mut exports = ExportSection::new();
    let mut start: Option<u32> = None;
    let mut elements: Option<wasm_encoder::ElementSection> = None;
    let mut data_count: Option<u32> = None;
    let mut code = CodeSection::new();
    let mut data: Option<wasm_encoder::DataSection> = None;

    let mut imported_functions = 0_u32;
    let mut pay_for_memory_grow: Option<u32> = None;
    let mut global_count = 0_u32;
    let mut bodies = Vec::new();

    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    let ty = ty?;
                    type_params.push((
                        u32::try_from(ty.params().len()).unwrap_or(u32::MAX),
                        u32::try_from(ty.results().len()).unwrap_or(u32::MAX),
                    ));
                }
                re.parse_type_section(&mut types, reader)?;
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    let import = import?;
                    if let wasmparser::TypeRef::Func(_) = import.ty {
                        if import.module == "vm_hooks" && import.name == "pay_for_memory_grow" {
                            pay_for_memory_grow = Some(imported_functions);
                        }
                        imported_functions += 1;
                    }
                }
                re.parse_import_section(&mut imports, reader)?;
            }
            Payload::FunctionSection(reader) => {
                for ty in reader.clone() {
                    function_types.push(ty?);
                }
                re.parse_function_section(&mut functions, reader)?;
            }
            Payload::TableSection(reader) => {
                let mut section = TableSection::new();
                re.parse_table_section(&mut section, reader)?;
                tables = Some(section);
            }
            Payload::MemorySection(reader) => {
                let mut section = MemorySection::new();
                re.parse_memory_section(&mut section, reader)?;
                memories = Some(section);
            }
            Payload::GlobalSection(reader) => {
                global_count = reader.count();
                re.parse_global_section(&mut globals, reader)?;
            }
            Payload::ExportSection(reader) => {
                re.parse_export_section(&mut exports, reader)?;
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ElementSection(reader) => {
                let mut section = wasm_encoder::ElementSection::new();
                re.parse_element_section(&mut section, reader)?;
                elements = Some(section);
            }
            Payload::DataCountSection { count, .. } => data_count = Some(count),
            Payload::DataSection(reader) => {
                let mut section = wasm_encoder::DataSection::new();
                re.parse_data_section(&mut section, reader)?;
                data = Some(section);
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }

    let g = Globals {
        ink: global_count,
        status: global_count + 1,
        depth: global_count + 2,
        depth_low: global_count + 3,
    };
    globals.global(
        GlobalType { val_type: EncValType::I64, mutable: true, shared: false },
        &ConstExpr::i64_const(0),
    );
    for _ in 0..3 {
        globals.global(
            GlobalType { val_type: EncValType::I32, mutable: true, shared: false },
            &ConstExpr::i32_const(0),
        );
    }
    exports.export(INK_GLOBAL, ExportKind::Global, g.ink);
    exports.export(STATUS_GLOBAL, ExportKind::Global, g.status);
    exports.export(DEPTH_GLOBAL, ExportKind::Global, g.depth);
    exports.export(DEPTH_LOW_GLOBAL, ExportKind::Global, g.depth_low);

    let defined = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
    let grow_helper = imported_functions + defined;
    let mut uses_grow = false;
    let mut all_blocks = Vec::with_capacity(bodies.len());

    for (i, body) in (0_u32..).zip(bodies) {
        let function = imported_functions + i;
        let type_index = function_types.get(i as usize).copied().unwrap_or(0);
        let params = type_params.get(type_index as usize).map_or(0, |p| p.0);
        let mut locals = Vec::new();
        let mut local_count = params;
        for pair in body.get_locals_reader()? {
            let (count, ty) = pair?;
            local_count += count;
            locals.push((count, re.val_type(ty)?));
        }
        let scratch32 = local_count;
        let scratch64 = local_count + 1;
        locals.push((1, EncValType::I32));
        locals.push((1, EncValType::I64));
        let mut f = Function::new(locals);
        let frame = frames.get(i as usize).copied().unwrap_or(0);
        enter_frame(&mut f, &g, frame);

        let mut blocks = Vec::new();
        // Open blocks; the `end` that closes the body finds none.
        let mut scopes = 0_u32;
        let mut pending: Vec<Operator<'_>> = Vec::new();
        let mut cost = schedule.ink_header_cost;
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            let op = ops.read()?;
            let ink =
                opcode_ink(&op, |ty| u64::from(type_params.get(ty as usize).map_or(0, |p| p.0)))
                    .map_err(|_| MeterError::Unpriced { function })?;
            cost += ink;
            let ends = ends_basic_block(&op);
            pending.push(op);
            if ends {
                charge_static(&mut f, &g, cost);
                blocks.push(cost);
                for op in pending.drain(..) {
                    emit(
                        &mut f,
                        &mut re,
                        op,
                        &g,
                        schedule,
                        (scratch32, scratch64),
                        grow_helper,
                        &mut uses_grow,
                        (frame, &mut scopes),
                    )?;
                }
                cost = schedule.ink_header_cost;
            }
        }
        // A valid body ends with `end`, so nothing is pending here.
        for op in pending.drain(..) {
            emit(
                &mut f,
                &mut re,
                op,
                &g,
                schedule,
                (scratch32, scratch64),
                grow_helper,
                &mut uses_grow,
                (frame, &mut scopes),
            )?;
        }
        code.function(&f);
        all_blocks.push(FunctionBlocks { function, blocks });
    }

    if uses_grow {
        let pay = pay_for_memory_grow.ok_or(MeterError::MissingPayForMemoryGrow)?;
        let helper_type = u32::try_from(type_params.len()).unwrap_or(u32::MAX);
        types.ty().function([EncValType::I32], [EncValType::I32]);
        functions.function(helper_type);
        let mut helper = Function::new([]);
        helper.instruction(&Instruction::LocalGet(0));
        helper.instruction(&Instruction::Call(pay));
        helper.instruction(&Instruction::LocalGet(0));
        helper.instruction(&Instruction::MemoryGrow(0));
        helper.instruction(&Instruction::End);
        code.function(&helper);
    }

    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.section(&functions);
    if let Some(t) = &tables {
        module.section(t);
    }
    if let Some(m) = &memories {
        module.section(m);
    }
    module.section(&globals);
    module.section(&exports);
    if let Some(s) = start {
        module.section(&wasm_encoder::StartSection { function_index: s });
    }
    if let Some(e) = &elements {
        module.section(e);
    }
    if let Some(c) = data_count {
        module.section(&wasm_encoder::DataCountSection { count: c });
    }
    module.section(&code);
    if let Some(d) = &data {
        module.section(d);
    }
    Ok(Instrumented { wasm: module.finish(), blocks: all_blocks })
}

fn charge_static(f: &mut Function, g: &Globals, cost: u64) {
    let cost = i64::try_from(cost).unwrap_or(i64::MAX);
    f.instruction(&Instruction::GlobalGet(g.ink));
    f.instruction(&Instruction::I64Const(cost));
    f.instruction(&Instruction::I64LtU);
    out_of_ink_branch(f, g);
    f.instruction(&Instruction::GlobalGet(g.ink));
    f.instruction(&Instruction::I64Const(cost));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::GlobalSet(g.ink));
}

/// Deducts `frame` words from the stack left, trapping (stack left 0) when
/// they do not fit, and keeps the low-water mark.
fn enter_frame(f: &mut Function, g: &Globals, frame: u32) {
    let size = i32::try_from(frame).unwrap_or(i32::MAX);
    f.instruction(&Instruction::GlobalGet(g.depth));
    f.instruction(&Instruction::I32Const(size));
    f.instruction(&Instruction::I32LeU);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::I32Const(0));
    f.instruction(&Instruction::GlobalSet(g.depth));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::GlobalGet(g.depth));
    f.instruction(&Instruction::I32Const(size));
    f.instruction(&Instruction::I32Sub);
    f.instruction(&Instruction::GlobalSet(g.depth));
    f.instruction(&Instruction::GlobalGet(g.depth));
    f.instruction(&Instruction::GlobalGet(g.depth_low));
    f.instruction(&Instruction::I32LtU);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::GlobalGet(g.depth));
    f.instruction(&Instruction::GlobalSet(g.depth_low));
    f.instruction(&Instruction::End);
}

/// Gives `frame` words back to the stack left.
fn leave_frame(f: &mut Function, g: &Globals, frame: u32) {
    f.instruction(&Instruction::GlobalGet(g.depth));
    f.instruction(&Instruction::I32Const(i32::try_from(frame).unwrap_or(i32::MAX)));
    f.instruction(&Instruction::I32Add);
    f.instruction(&Instruction::GlobalSet(g.depth));
}

fn out_of_ink_branch(f: &mut Function, g: &Globals) {
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::I32Const(1));
    f.instruction(&Instruction::GlobalSet(g.status));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
}

/// Charges `per_byte` ink for the byte count on top of the stack, leaving it there.
fn charge_dynamic(f: &mut Function, g: &Globals, per_byte: u64, scratch: (u32, u32)) {
    let (s32, s64) = scratch;
    f.instruction(&Instruction::LocalSet(s32));
    f.instruction(&Instruction::LocalGet(s32));
    f.instruction(&Instruction::I64ExtendI32U);
    f.instruction(&Instruction::I64Const(i64::try_from(per_byte).unwrap_or(i64::MAX)));
    f.instruction(&Instruction::I64Mul);
    f.instruction(&Instruction::LocalSet(s64));
    f.instruction(&Instruction::GlobalGet(g.ink));
    f.instruction(&Instruction::LocalGet(s64));
    f.instruction(&Instruction::I64LtU);
    out_of_ink_branch(f, g);
    f.instruction(&Instruction::GlobalGet(g.ink));
    f.instruction(&Instruction::LocalGet(s64));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::GlobalSet(g.ink));
    f.instruction(&Instruction::LocalGet(s32));
}

#[allow(clippy::too_many_arguments)]
fn emit(
    f: &mut Function,
    re: &mut RoundtripReencoder,
    op: Operator<'_>,
    g: &Globals,
    schedule: &GasSchedule,
    scratch: (u32, u32),
    grow_helper: u32,
    uses_grow: &mut bool,
    (frame, scopes): (u32, &mut u32),
) -> Result<(), MeterError> {
    match op {
        Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
            *scopes += 1;
            f.instruction(&re.instruction(op)?);
        }
        Operator::End if *scopes > 0 => {
            *scopes -= 1;
            f.instruction(&Instruction::End);
        }
        Operator::End => {
            // The end of the body: a return that gives the frame back, as
            // Nitro adds one.
            leave_frame(f, g, frame);
            f.instruction(&Instruction::Return);
            f.instruction(&Instruction::End);
        }
        Operator::Return => {
            leave_frame(f, g, frame);
            f.instruction(&Instruction::Return);
        }
        Operator::MemoryGrow { .. } => {
            *uses_grow = true;
            f.instruction(&Instruction::Call(grow_helper));
        }
        Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } => {
            charge_dynamic(f, g, schedule.memory_copy_byte_ink, scratch);
            f.instruction(&re.instruction(op)?);
        }
        other => {
            f.instruction(&re.instruction(other)?);
        }
    }
    Ok(())
}
