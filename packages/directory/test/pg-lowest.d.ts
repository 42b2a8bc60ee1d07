// pg 8.0.3 (the lowest of the peer range), installed as the alias `pg8-0-3`, ships no types:
// it has the API of @types/pg that the tests use.
declare module 'pg8-0-3' {
  import pg from 'pg';
  export default pg;
}
