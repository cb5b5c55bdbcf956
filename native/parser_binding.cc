// N-API shell around the vars parser core (vars_parser.cc).
//
// The hot function creates no JS values except its int32 result: it writes into Int32Arrays
// that JS registered once, and JS reads the results from them (DESIGN.md §3: building JS
// objects through N-API was the slowest design measured).
//
// Exports:
//   parserInit(pairs, knownIndex, meta)    registers the tables used by parse(); throws a
//                                          TypeError on bad tables (start-up only).
//   parse(buf, start, end) -> int          parses buf[start, end) into those tables.
//   parserBind(pairs, knownIndex, meta)    -> a parse function of its own, bound to these
//                                          tables, so several parsers can live in one
//                                          process (src/protocol/vars-parser.ts uses it).
//   parserBindBlock(pairs, knownIndex, meta) -> parseBlock(buf, start, end): the same parse,
//                                          returning the block as a latin1 string when it
//                                          parsed (the one JS value made here: JS needs it
//                                          anyway, and making it in this call saves a
//                                          second crossing), else the negative status.
//   knownKeys() -> string[]                the known key table (native/known_keys.h).
//
// parse never throws and never crashes: a non-Uint8Array, offsets that are not integers in
// [0, buf.length] with start <= end, or a call before parserInit return BAD_ARGUMENTS.
//
// The tables' memory is written from C++ through pointers kept since registration; the
// references keep the arrays alive. Their ArrayBuffer must not be transferred (detached)
// afterwards: the TS side marks it untransferable.
#include <node_api.h>

#include <new>

#include "addon.h"
#include "vars_parser.h"

namespace uwsgi_ts {
namespace {

// The result tables one parse function writes into. One per registration: the default
// one (parserInit/parse) per module instance, plus one per parserBind call.
struct ParserTables {
  napi_ref refs[3] = {nullptr, nullptr, nullptr};  // pairs, knownIndex, meta
  int32_t* pairs = nullptr;
  size_t max_pairs = 0;
  int32_t* known_index = nullptr;
  int32_t* meta = nullptr;  // non-null once registered
};

// parse takes (buf, start, end); the registration functions take (pairs, knownIndex, meta).
constexpr size_t kParseArgCount = 3;
constexpr size_t kTableArgCount = 3;

// JS offsets must be int32 (the TS parser checks start | 0 === start): same rule here.
constexpr double kMaxOffset = static_cast<double>(kMaxBlockLength);

void ReleaseTables(napi_env env, ParserTables* tables) {
  for (napi_ref& ref : tables->refs) {
    if (ref != nullptr) napi_delete_reference(env, ref);
    ref = nullptr;
  }
  tables->pairs = nullptr;
  tables->max_pairs = 0;
  tables->known_index = nullptr;
  tables->meta = nullptr;
}

bool GetInt32Array(napi_env env, napi_value value, int32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* raw = nullptr;
  // Fails with napi_invalid_arg for anything that is not a typed array.
  if (napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr) != napi_ok) {
    return false;
  }
  if (type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(raw);
  return true;
}

// Validates and registers the three tables of args; throws a TypeError and leaves
// `tables` unchanged when they are not usable.
bool RegisterTables(napi_env env, napi_callback_info info, ParserTables* tables) {
  size_t argc = kTableArgCount;
  napi_value argv[kTableArgCount];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  if (argc < kTableArgCount) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "expected (pairs: Int32Array, knownIndex: Int32Array, meta: Int32Array)");
    return false;
  }
  int32_t* pairs = nullptr;
  int32_t* known_index = nullptr;
  int32_t* meta = nullptr;
  size_t pairs_length = 0;
  size_t known_length = 0;
  size_t meta_length = 0;
  if (!GetInt32Array(env, argv[0], &pairs, &pairs_length)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pairs must be an Int32Array");
    return false;
  }
  if (!GetInt32Array(env, argv[1], &known_index, &known_length) || known_length < kKnownKeyCount) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "knownIndex must be an Int32Array with at least knownKeys().length entries");
    return false;
  }
  if (!GetInt32Array(env, argv[2], &meta, &meta_length) || meta_length < kMetaLength) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "meta must be an Int32Array with at least 3 entries");
    return false;
  }
  napi_ref refs[kTableArgCount] = {nullptr, nullptr, nullptr};
  for (size_t i = 0; i < kTableArgCount; ++i) {
    if (napi_create_reference(env, argv[i], 1, &refs[i]) != napi_ok) {
      for (size_t j = 0; j < i; ++j) napi_delete_reference(env, refs[j]);
      napi_throw_error(env, nullptr, "cannot keep a reference to the parser tables");
      return false;
    }
  }
  ReleaseTables(env, tables);
  for (size_t i = 0; i < kTableArgCount; ++i) tables->refs[i] = refs[i];
  tables->pairs = pairs;
  tables->max_pairs = pairs_length / kPairStride;
  tables->known_index = known_index;
  tables->meta = meta;
  ResetParseResult(known_index, meta);
  return true;
}

// An offset argument: an integral number in [0, min(limit, kMaxOffset)].
bool GetOffset(napi_env env, napi_value value, size_t limit, size_t* offset) {
  double number = 0;
  if (napi_get_value_double(env, value, &number) != napi_ok) return false;
  // Written so that NaN fails too.
  if (!(number >= 0 && number <= kMaxOffset && number <= static_cast<double>(limit))) return false;
  const size_t whole = static_cast<size_t>(number);
  if (static_cast<double>(whole) != number) return false;
  *offset = whole;
  return true;
}

// The validated block of a parse call: set only when the arguments were usable.
struct BlockRange {
  const uint8_t* block = nullptr;
  size_t length = 0;
};

int32_t ParseCall(napi_env env, const ParserTables* tables, size_t argc, const napi_value* argv,
                  BlockRange* range = nullptr) {
  constexpr int32_t kBadArguments = static_cast<int32_t>(ParseStatus::BAD_ARGUMENTS);
  if (tables == nullptr || tables->meta == nullptr) return kBadArguments;  // before parserInit
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  size_t start = 0;
  size_t end = 0;
  if (argc < kParseArgCount ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array || !GetOffset(env, argv[1], length, &start) ||
      !GetOffset(env, argv[2], length, &end) || start > end) {
    ResetParseResult(tables->known_index, tables->meta);
    return kBadArguments;
  }
  // A detached or empty array has no data pointer (and length 0, so start == end == 0).
  const uint8_t* block = data == nullptr ? nullptr : static_cast<const uint8_t*>(data) + start;
  if (range != nullptr) {
    range->block = block;
    range->length = end - start;
  }
  return ParseVars(block, end - start, tables->pairs, tables->max_pairs, tables->known_index,
                   tables->meta);
}

napi_value Parse(napi_env env, napi_callback_info info) {
  size_t argc = kParseArgCount;
  napi_value argv[kParseArgCount];
  void* data = nullptr;
  int32_t status = static_cast<int32_t>(ParseStatus::BAD_ARGUMENTS);
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) == napi_ok) {
    status = ParseCall(env, static_cast<const ParserTables*>(data), argc, argv);
  }
  napi_value result = nullptr;
  if (napi_create_int32(env, status, &result) != napi_ok) return nullptr;
  return result;
}

napi_value ParseBlock(napi_env env, napi_callback_info info) {
  size_t argc = kParseArgCount;
  napi_value argv[kParseArgCount];
  void* data = nullptr;
  int32_t status = static_cast<int32_t>(ParseStatus::BAD_ARGUMENTS);
  napi_value result = nullptr;
  BlockRange range;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) == napi_ok) {
    status = ParseCall(env, static_cast<const ParserTables*>(data), argc, argv, &range);
  }
  if (status >= 0) {
    const char* block = range.block == nullptr ? "" : reinterpret_cast<const char*>(range.block);
    if (napi_create_string_latin1(env, block, range.length, &result) == napi_ok) return result;
    status = static_cast<int32_t>(ParseStatus::BAD_ARGUMENTS);
  }
  if (napi_create_int32(env, status, &result) != napi_ok) return nullptr;
  return result;
}

napi_value ParserInit(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data) != napi_ok) return nullptr;
  RegisterTables(env, info, static_cast<ParserTables*>(data));
  return nullptr;  // undefined, or the pending TypeError
}

void FinalizeBoundTables(napi_env env, void* data, void* /*hint*/) {
  auto* tables = static_cast<ParserTables*>(data);
  ReleaseTables(env, tables);
  delete tables;
}

napi_value BindTo(napi_env env, napi_callback_info info, napi_callback fn_impl, const char* name) {
  auto* tables = new (std::nothrow) ParserTables();
  if (tables == nullptr) {
    napi_throw_error(env, nullptr, "out of memory");
    return nullptr;
  }
  if (!RegisterTables(env, info, tables)) {
    delete tables;
    return nullptr;
  }
  napi_value fn = nullptr;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn_impl, tables, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, tables, FinalizeBoundTables, nullptr, nullptr) != napi_ok) {
    ReleaseTables(env, tables);
    delete tables;
    napi_throw_error(env, nullptr, "cannot create the bound parse function");
    return nullptr;
  }
  return fn;
}

napi_value ParserBind(napi_env env, napi_callback_info info) { return BindTo(env, info, Parse, "parse"); }

napi_value ParserBindBlock(napi_env env, napi_callback_info info) {
  return BindTo(env, info, ParseBlock, "parseBlock");
}

napi_value KnownKeys(napi_env env, napi_callback_info /*info*/) {
  napi_value array = nullptr;
  if (napi_create_array_with_length(env, kKnownKeyCount, &array) != napi_ok) return nullptr;
  for (size_t id = 0; id < kKnownKeyCount; ++id) {
    napi_value name = nullptr;
    if (napi_create_string_latin1(env, kKnownKeys[id].data(), kKnownKeys[id].size(), &name) != napi_ok ||
        napi_set_element(env, array, static_cast<uint32_t>(id), name) != napi_ok) {
      return nullptr;
    }
  }
  return array;
}

void DeleteDefaultTables(void* data) {
  // Runs at environment teardown; the references themselves are freed by N-API then.
  delete static_cast<ParserTables*>(data);
}

}  // namespace

napi_status RegisterParser(napi_env env, napi_value exports) {
  // Per module instance (not a global), so each worker thread that loads the addon has
  // its own registration.
  auto* tables = new (std::nothrow) ParserTables();
  if (tables == nullptr) return napi_generic_failure;
  napi_status status = napi_add_env_cleanup_hook(env, DeleteDefaultTables, tables);
  if (status != napi_ok) {
    delete tables;
    return status;
  }
  const napi_property_descriptor properties[] = {
      {"parserInit", nullptr, ParserInit, nullptr, nullptr, nullptr, napi_enumerable, tables},
      {"parse", nullptr, Parse, nullptr, nullptr, nullptr, napi_enumerable, tables},
      {"parserBind", nullptr, ParserBind, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"parserBindBlock", nullptr, ParserBindBlock, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"knownKeys", nullptr, KnownKeys, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace uwsgi_ts
