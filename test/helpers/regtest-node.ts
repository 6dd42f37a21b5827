/** The regtest node helper lives with the benchmarks (bench/ cannot import test/); tests use it from here. */
export * from '../../bench/lib/regtest-node.js';
