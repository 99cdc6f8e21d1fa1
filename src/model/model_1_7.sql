/*
 * src/model/model_1_7.sql
 * What rfm 1.7 changes in the catalog (tables, types, rows; functions are replaced by the update script
 * from every fragment, scripts/replayable.awk). Part of a fresh install and of the update script from 1.6 alike.
 */
