//! A page on the patterns the lab shows, with the sources they come from.

use leptos::prelude::*;

/// About the patterns.
#[component]
pub fn About() -> impl IntoView {
    view! {
        <article class="panel prose">
            <h2>"About the patterns"</h2>
            <p>
                "Foldlab runs the online store of Chris Richardson's articles "
                <cite>"Developing Transactional Microservices Using Aggregates, Event Sourcing and CQRS"</cite>
                " (InfoQ, parts 1 and 2) on a real event store kept in your browser."
            </p>
            <h3>"Aggregates"</h3>
            <p>
                "An Order and a Customer are separate aggregates. They refer to each other by id only, and one transaction creates or updates one aggregate."
            </p>
            <h3>"A choreography instead of a distributed transaction"</h3>
            <ol>
                <li>"An Order is created with status NEW and publishes OrderCreated."</li>
                <li>"The Customer consumes OrderCreated, reserves credit for the order and publishes CreditReserved."</li>
                <li>"The Order consumes CreditReserved and changes its status to APPROVED."</li>
            </ol>
            <p>
                "If the credit check fails, the Customer publishes CreditLimitExceeded. That event is not a change of the Customer's state: it records a failed attempt to break a business rule. The Order consumes it and becomes CANCELLED."
            </p>
            <h3>"Event sourcing"</h3>
            <p>
                "Each aggregate is stored as its sequence of events, in rows of entity_type, entity_id, event_id, event_type and event_data. Its state is a functional fold over those events. Because saving the events is the update, there is no separate step that could fail to publish them: the event store is a database and a message broker at once."
            </p>
            <h3>"CQRS and lag"</h3>
            <p>
                "Queries that join data of several services, such as a customer with their recent orders, are answered by a materialized view that subscribes to the events. It is updated after the command side, so a client that updates an aggregate and immediately reads the view may see the previous state. The lab lets you watch that lag by stepping the deliveries yourself."
            </p>
            <h3>"How fast is it?"</h3>
            <p>
                "The store's speed is measured against plain IndexedDB code in your own browser on the "
                <a href=crate::address::href("/bench")>"benchmark page"</a>
                "."
            </p>
            <h3>"Sources"</h3>
            <ul>
                <li>"Chris Richardson, “Developing Transactional Microservices Using Aggregates, Event Sourcing and CQRS”, parts 1 and 2, InfoQ (part 2 posted on 13 January 2017)."</li>
            </ul>
        </article>
    }
}
