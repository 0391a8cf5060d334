// A minimal chat UI on useStream (@langchain/langgraph-sdk/react), the hook LangGraph's chat UIs are built on: a
// message list, a composer, a Stop button. Besides what a person sees it exposes, for the tests, what the hook said
// on the root element: data-thread-id (from onThreadId), data-run-ids (from onCreated), data-loading and the history
// of isLoading (data-loading-log), and data-streamed (how many different lengths of the answer were on screen while
// the run was still loading: the answer arrived as a stream, not read back afterwards).
import { useStream } from '@langchain/langgraph-sdk/react';
import { useEffect, useMemo, useRef, useState } from 'react';

/** A LangChain message's content as text: a string, or the text of its {type: "text"} blocks. */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b) => (b?.type === 'text' ? b.text : '')).join('');
  return '';
}

export function App({ apiUrl, assistantId, token, initialThreadId, onThreadChange }) {
  const [threadId, setThreadId] = useState(initialThreadId);
  const [runIds, setRunIds] = useState([]);
  const [loadingLog, setLoadingLog] = useState([]);
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState('');
  // A new object each render would make useStream build a new Client (and re-read the thread) every time.
  const defaultHeaders = useMemo(() => ({ Authorization: `Bearer ${token}` }), [token]);

  const stream = useStream({
    apiUrl,
    assistantId,
    threadId,
    defaultHeaders,
    messagesKey: 'messages',
    // The run's id is kept in sessionStorage: a reload rejoins the run in progress, and stop() cancels the run on
    // the server (without it, stop() only drops the connection, and a Netra run outlives its client by design).
    reconnectOnMount: true,
    onThreadId: (id) => {
      setThreadId(id);
      onThreadChange(id);
    },
    onCreated: ({ run_id: runId }) => setRunIds((ids) => [...ids, runId]),
    onError: (e) => setError(String(e?.message ?? e)),
  });

  const { isLoading, messages } = stream;
  useEffect(() => setLoadingLog((log) => [...log, isLoading]), [isLoading]);

  const lastAi = messages.findLast((m) => m.type === 'ai');
  const aiText = lastAi ? textOf(lastAi.content) : '';
  const streamedLengths = useRef(new Set());
  if (isLoading && aiText) streamedLengths.current.add(aiText.length);

  function send(event) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft('');
    setError(null);
    stream.submit({ messages: [{ type: 'human', content: text }] });
  }

  return (
    <main
      id="chat"
      data-thread-id={threadId ?? ''}
      data-run-ids={runIds.join(',')}
      data-loading={String(isLoading)}
      data-loading-log={loadingLog.join(' ')}
      data-streamed={streamedLengths.current.size}
    >
      <ol id="messages">
        {messages.map((m, i) => (
          <li key={m.id ?? i} className="msg" data-type={m.type} data-id={m.id ?? ''}>
            {textOf(m.content)}
          </li>
        ))}
      </ol>
      {error && <p id="error" role="alert">{error}</p>}
      <form id="composer" onSubmit={send}>
        <label htmlFor="input">Message</label>
        <textarea id="input" rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button id="send" type="submit" disabled={isLoading || !draft.trim()}>Send</button>
        <button id="stop" type="button" disabled={!isLoading} onClick={() => stream.stop()}>Stop</button>
      </form>
    </main>
  );
}
