/**
 * `@intrnn/runtime-native`: Rust int8 kernels (AVX-512 VNNI, AVX2, NEON, scalar) bound through
 * Node-API, registered in runtime-core's kernel registry at a higher priority.
 *
 * Skeleton: nothing is exported yet. The crate and its binding are built in issue 5.
 * @packageDocumentation
 */
export {};
