// One jest run over every package: TypeScript through swc, workspace imports mapped to sources
// so unit tests need no build (the CLI tests run the built command on purpose).
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: '<rootDir>/tools/jest-environment.cjs',
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/tools'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@intrnn/(format|runtime-core|qat|converter|runtime-native|runtime-wasm|tasks)$': '<rootDir>/packages/$1/src/index.ts',
    '^@intrnn/runtime-core/(node|conformance)$': '<rootDir>/packages/runtime-core/src/$1.ts',
    '^@intrnn/qat/(datasets|pwl)$': '<rootDir>/packages/qat/src/$1.ts',
    '^@intrnn/tasks/(engines|latency)$': '<rootDir>/packages/tasks/src/$1.ts',
    '^@intrnn/qat/expression$': '<rootDir>/packages/qat/src/pwl/expression.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
