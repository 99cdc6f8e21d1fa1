-- The extension installs into schema rfm, and every object it creates
-- carries a COMMENT (the query lists those that do not: expected none).
CREATE EXTENSION rfm;
SELECT extname, extversion, nspname AS schema, extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'rfm';
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object_without_comment
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rfm')
   AND d.deptype = 'e'
   AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NULL
   -- array types and composite-type relations are described by their type; a table's row type (an extension
   -- member of its own since PostgreSQL 17) by its table
   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (
         SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND ((t.typelem <> 0 AND t.typlen = -1 AND t.typname LIKE '\_%')
            OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c'))))
 ORDER BY 1;
-- every function of rfm is parallel safe except the model and scheduler functions, which write
SELECT p.oid::regprocedure AS not_parallel_safe
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'rfm' AND p.proparallel <> 's'
 ORDER BY p.oid::regprocedure::text;
-- every aggregate has a combine function, and serialize and deserialize functions when its state is internal
-- (a state of a real type with text I/O is what lets Citus split it into worker and coordinator parts)
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggcombinefn <> 0 AS combine,
       a.aggserialfn <> 0 AS serialize, a.aggdeserialfn <> 0 AS deserialize,
       a.aggtranstype::regtype AS state
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'rfm'
 ORDER BY a.aggfnoid::regprocedure::text;
