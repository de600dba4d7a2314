// aggregate (cursor form). Pipelines run in mingo over the collection's documents; a leading $match is used
// to narrow the input through _id or a unique index. Documents are copied first unless every stage is
// read-only, so a pipeline can never alter stored data.
import { ErrorCode, MongoCommandError, badValue, notSupported } from '../errors.js';
import { isReadOnlyPipeline, runPipeline } from '../query/mingo.js';
import { cloneDoc, isPlainObject, type Document } from '../storage/values.js';
import { checkHint, collectionName, cursorReply, documentSource, optDocument, optInt, queryOptions, type CommandHandler } from './common.js';

const aggregate: CommandHandler = (cmd, ctx) => {
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) {
    throw new MongoCommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array of objects");
  }
  if (cmd.explain) throw notSupported('explain');
  const cursorOpts = optDocument(cmd, 'cursor');
  if (!cursorOpts) throw new MongoCommandError(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  const engine = ctx.state.engine;
  const dbLevel = cmd.aggregate === 1;
  const name = dbLevel ? '$cmd.aggregate' : collectionName(cmd, ctx.db);
  const stages = pipeline as Document[];
  if (dbLevel && !(stages[0] && '$documents' in stages[0])) {
    throw badValue("{aggregate: 1} is only supported with a leading $documents stage");
  }
  const readOnly = isReadOnlyPipeline(stages);
  const opts = queryOptions(cmd, engine, ctx.db);
  if (!readOnly) {
    const resolve = opts.collectionResolver!;
    opts.collectionResolver = (coll) => resolve(coll).map(cloneDoc);
  }
  let input: Document[] = [];
  if (!dbLevel) {
    const coll = engine.collection(ctx.db, name);
    checkHint(coll, cmd.hint);
    const first = stages[0];
    const match = first && isPlainObject(first.$match) ? first.$match : {};
    // A leading $match pinning _id or a unique key narrows the input; mingo still applies it.
    const narrowed = coll && !opts.collation ? coll.candidates(match) : null;
    input = Array.from(narrowed ?? coll?.values() ?? [], (s) => s.doc);
  }
  const results = runPipeline(input, stages, opts, readOnly);
  return cursorReply(ctx, `${ctx.db}.${name}`, documentSource(results), optInt(cursorOpts, 'batchSize'));
};

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
