/*
 * baton.h: the whole contract between the baton host and a flow library.
 *
 * Only C types cross this boundary: fixed-width integers, NUL-terminated UTF-8 strings, byte buffers
 * of UTF-8 JSON given as (pointer, length), opaque context pointers and function pointers. No Swift
 * value ever crosses it: a Swift object made on one side fails dynamic casts on the other.
 *
 * Versioning rules:
 *   - Every table starts with `uint32_t struct_size` and `uint32_t abi_version` and only ever grows at
 *     its end. A reader checks `struct_size` before touching a field added in a later minor version.
 *   - A changed layout or meaning is a new major version and a new `_v2` name.
 *   - A library carries its magic (below) in the ELF section BATON_MAGIC_SECTION. The host reads that
 *     section from the file before loading it and refuses a mismatch before any library code runs.
 *
 * Threads: every function on either table may be called from any thread. Every callback that a
 * comment says is "called exactly once" is called exactly once, possibly before the call that
 * started the work has returned.
 */
#ifndef BATON_H
#define BATON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version. Major: incompatible change. Minor: tables grew at their end. */
#define BATON_ABI_MAJOR 1u
#define BATON_ABI_MINOR 2u

/* Version of the Baton SDK that flow libraries link statically. */
#define BATON_SDK_VERSION_MAJOR 0u
#define BATON_SDK_VERSION_MINOR 2u
#define BATON_SDK_VERSION_PATCH 1u

/* Version of the Swift compiler that compiled the including module, e.g. 60301 for 6.3.1. Flow
 * library and host must come from one toolchain: a flow library's RUNPATH names its toolchain's
 * runtime, and two Swift runtimes cannot share a process. */
#ifdef __swift__
#define BATON_SWIFT_COMPILER __swift__
#else
#define BATON_SWIFT_COMPILER 0
#endif

/* The ELF section holding exactly one baton_magic record, and the one exported symbol. */
#define BATON_MAGIC_SECTION ".baton_magic"
#define BATON_ENTRY_POINT "baton_library_open"

/*
 * The magic record: eight little-endian uint32 fields, no padding, compared field by field.
 * `struct_size` is sizeof(baton_magic) == 32. `reserved` is zero.
 */
typedef struct baton_magic {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t swift_compiler;
    uint32_t sdk_major;
    uint32_t sdk_minor;
    uint32_t sdk_patch;
    uint32_t reserved;
} baton_magic;

/* Status codes returned by functions and passed to completion callbacks. */
#define BATON_STATUS_OK 0           /* success; the buffer holds the JSON result */
#define BATON_STATUS_FAILED 1       /* user code threw; the buffer holds a baton error object */
#define BATON_STATUS_CANCELLED 2    /* the work was cancelled; the buffer holds a baton error object */
#define BATON_STATUS_UNKNOWN 3      /* no flow or task of that name in this library */
#define BATON_STATUS_BAD_INPUT 4    /* the input JSON did not decode; the buffer holds an error object */
#define BATON_STATUS_INCOMPATIBLE 5 /* a table is too small or of another major version */

/* A baton error object is UTF-8 JSON: {"type": "<Swift type>", "message": "<description>"}. */

/* Log levels, as in Python's logging so that numbers mean what users expect. */
#define BATON_LOG_DEBUG 10
#define BATON_LOG_INFO 20
#define BATON_LOG_WARNING 30
#define BATON_LOG_ERROR 40

/*
 * Completion of a task call made with baton_host_v1.submit_task. Called exactly once, from any
 * thread. `output` is owned by the host and valid only during this call: copy what you keep.
 * On BATON_STATUS_OK it holds the task's JSON result; otherwise a baton error object.
 */
typedef void (*baton_task_done_fn)(void *done_context, int32_t status, const uint8_t *output,
                                   size_t output_length);

/*
 * What the host offers the library. The host owns this table; it stays valid until process exit.
 *
 * Every `caller` argument is the context the host handed the library: the `run_context` of
 * start_flow while a flow body runs, or the `call_context` of invoke_task while a task body runs.
 */
typedef struct baton_host_v1 {
    uint32_t struct_size;  /* sizeof(baton_host_v1) as the host compiled it */
    uint32_t abi_version;  /* BATON_ABI_MAJOR << 16 | BATON_ABI_MINOR of the host */

    /*
     * Run a task through the engine: the host records a task run, applies its options (retries,
     * timeout, …) and invokes the task body with baton_library_v1.invoke_task.
     * `task` is NUL-terminated; `input` is the task's JSON input; `options` is the task's JSON
     * options (may be NULL with length 0). All three are borrowed for the duration of this call.
     * `done` is called exactly once with `done_context`, from any thread.
     */
    void (*submit_task)(void *caller, const char *task, const uint8_t *input, size_t input_length,
                        const uint8_t *options, size_t options_length, baton_task_done_fn done,
                        void *done_context);

    /* A log line for the run or task run of `caller`. `message` is UTF-8, borrowed for the call. */
    void (*log)(void *caller, int32_t level, const uint8_t *message, size_t message_length);

    /* An artifact for the run of `caller`, as a JSON object; borrowed for the call. */
    void (*artifact)(void *caller, const uint8_t *json, size_t json_length);

    /*
     * The flow body of a start_flow call has finished. Called exactly once per successful
     * start_flow. `output` is borrowed for the call: the flow's JSON result on BATON_STATUS_OK,
     * a baton error object otherwise.
     */
    void (*flow_finished)(void *run_context, int32_t status, const uint8_t *output,
                          size_t output_length);

    /*
     * A task body started with invoke_task has finished. Called exactly once per successful
     * invoke_task. `output` is borrowed for the call: the JSON result on BATON_STATUS_OK, a baton
     * error object otherwise.
     */
    void (*task_finished)(void *call_context, int32_t status, const uint8_t *output,
                          size_t output_length);

    /* ---- ABI 1.1 ---- */

    /*
     * submit_task with per-call information: `call` is a JSON object (may be NULL with length 0)
     * with `id` (the task run's id, chosen by the library so a future knows it at once), `upstream`
     * (an array of {"id", "kind"} for futures passed in and `waitFor:`) and `cacheKey` (a key the
     * task's cache-key closure computed). `options` holds the task's declared options and is the same
     * bytes for every call of one task declaration. Buffers are borrowed for the call; `done` is
     * called exactly once, from any thread.
     */
    void (*submit_call)(void *caller, const char *task, const uint8_t *input, size_t input_length,
                        const uint8_t *options, size_t options_length, const uint8_t *call,
                        size_t call_length, baton_task_done_fn done, void *done_context);

    /*
     * Run another flow of this library as a subflow run of the caller's flow run. `parameters` is
     * the subflow's complete JSON parameters, borrowed for the call. `done` is called exactly once
     * with the subflow's JSON result, or a baton error object, from any thread.
     */
    void (*start_subflow)(void *caller, const char *flow, const uint8_t *parameters,
                          size_t parameters_length, baton_task_done_fn done, void *done_context);

    /* ---- ABI 1.2 ---- */

    /*
     * Read a named value of the project of the caller's run: `kind` is "secret" or "variable" and
     * `name` its name, both NUL-terminated and borrowed for the call. `done` is called exactly once,
     * from any thread: BATON_STATUS_OK with the value's UTF-8 bytes (the value itself, not JSON), or
     * BATON_STATUS_FAILED with a baton error object (no such value, not allowed). From the moment a
     * secret is read, the host masks it ("****") in everything the run records: log lines, results,
     * inputs, artifacts and state messages.
     */
    void (*read_value)(void *caller, const char *kind, const char *name, baton_task_done_fn done,
                       void *done_context);
} baton_host_v1;

/*
 * What the library offers the host. The library owns this table; it stays valid until process exit.
 */
typedef struct baton_library_v1 {
    uint32_t struct_size;  /* sizeof(baton_library_v1) as the library compiled it */
    uint32_t abi_version;  /* BATON_ABI_MAJOR << 16 | BATON_ABI_MINOR of the library */

    /*
     * The manifest: UTF-8 JSON describing the library's flows and tasks. The library owns the
     * buffer; it stays valid until process exit. Sets *json and *length.
     */
    void (*manifest)(const uint8_t **json, size_t *length);

    /*
     * Start a run of `flow` with `parameters` (a JSON object with every parameter present) and
     * `run_info` (a JSON object: flowRunID, flowRunName, flowName, flowVersion, attempt).
     * Returns BATON_STATUS_OK when the body was started, and the host's flow_finished is then
     * called exactly once with `run_context`; returns BATON_STATUS_UNKNOWN (and calls nothing)
     * when the library has no such flow. `flow`, `parameters` and `run_info` are borrowed for the
     * call.
     */
    int32_t (*start_flow)(const char *flow, const uint8_t *parameters, size_t parameters_length,
                          const uint8_t *run_info, size_t run_info_length, void *run_context);

    /*
     * Run one attempt of `task` with `input` (JSON) and `run_info` (as for start_flow, plus
     * taskRunID and taskRunName; attempt counts this task run's attempts). Returns
     * BATON_STATUS_OK when the body was started, and the host's task_finished is then called
     * exactly once with `call_context`; returns BATON_STATUS_UNKNOWN (and calls nothing) when the
     * library has no such task. `task`, `input` and `run_info` are borrowed for the call.
     */
    int32_t (*invoke_task)(const char *task, const uint8_t *input, size_t input_length,
                           const uint8_t *run_info, size_t run_info_length, void *call_context);

    /*
     * Ask the flow body or task attempt of `context` to stop. Cooperative: Swift task cancellation.
     * A no-op for a context that has finished or is unknown.
     */
    void (*cancel)(void *context);

    /* ---- ABI 1.1 ---- */

    /*
     * Run a hook of a flow or task once it reached its final state: `kind` is "flow" or "task",
     * `name` the flow's or task's name, `hook` "onCompletion", "onFailure" or "onCancellation",
     * `state` a JSON object {"type", "name", "message"} and `run_info` as for invoke_task. Returns
     * BATON_STATUS_OK when the hook was started, and the host's task_finished is then called exactly
     * once with `context`; BATON_STATUS_UNKNOWN when there is no such hook. Buffers are borrowed.
     */
    int32_t (*run_hook)(const char *kind, const char *name, const char *hook, const uint8_t *state,
                        size_t state_length, const uint8_t *run_info, size_t run_info_length,
                        void *context);
} baton_library_v1;

/*
 * The single symbol a flow library exports (generated by the BatonEntryPoint plugin).
 * `host` stays valid until process exit. On BATON_STATUS_OK, *out points to the library's table.
 * Returns BATON_STATUS_INCOMPATIBLE when `host` is of another major version or too small.
 */
typedef int32_t (*baton_library_open_fn)(const baton_host_v1 *host, const baton_library_v1 **out);

#ifdef __cplusplus
}
#endif

#endif /* BATON_H */
