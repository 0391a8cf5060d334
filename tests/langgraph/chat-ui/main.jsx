// Boots the chat UI: the test hands its settings over in window.netraChat (an init script, so they survive a
// reload), and the open thread lives in the address (?thread=), as chat UIs keep it, so that a reload comes back to
// the same thread and useStream's reconnectOnMount can rejoin a run in progress.
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';

const { token, assistantId } = window.netraChat;
const params = new URLSearchParams(window.location.search);

function rememberThread(threadId) {
  params.set('thread', threadId);
  window.history.replaceState(null, '', `?${params}`);
}

createRoot(document.getElementById('root')).render(
  <App
    // Same origin as the page: the test's server proxies /langgraph to Netra (lib/chat-ui-server.mjs says why).
    apiUrl={`${window.location.origin}/langgraph`}
    assistantId={assistantId}
    token={token}
    initialThreadId={params.get('thread')}
    onThreadChange={rememberThread}
  />,
);
